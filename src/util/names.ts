import { KtrdrError } from '../errors.js';

/** Names that become path segments: letters, digits, `_` and `-`, starting with a letter or digit. */
export const SAFE_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]*$/;

export function assertSafeName(name: string, what: string): void {
  if (!SAFE_NAME.test(name) || name.length > 100) {
    throw new KtrdrError('INVALID_NAME', `invalid ${what} name '${name}': use letters, digits, '_' and '-' only`, {
      details: { name, pattern: SAFE_NAME.source },
    });
  }
}
