import { KtrdrError, isKtrdrError, type ErrorBody } from '../errors.js';
import type { Output } from './progress-display.js';

/**
 * The last line `--json` prints when a command fails: the one error body with a `kind` like every other record, so
 * a program reading stdout learns why without parsing stderr. `{"kind":"error","error":{code,message,details?,hint?}}`
 */
export function errorRecord(error: ErrorBody['error']): string {
  return `${JSON.stringify({ kind: 'error', error })}\n`;
}

/**
 * Runs a `--json` command's action; when it throws, prints the error record on `out`, then rethrows so stderr and
 * the exit code are what they are without --json. Errors that are not ours are recorded as INTERNAL.
 */
export async function withJsonErrors<T>(json: boolean | undefined, action: () => Promise<T>, out: Output = process.stdout): Promise<T> {
  try {
    return await action();
  } catch (error) {
    if (json) {
      const known = isKtrdrError(error) ? error : new KtrdrError('INTERNAL', error instanceof Error ? error.message : String(error));
      out.write(errorRecord(known.toBody().error));
    }
    throw error;
  }
}
