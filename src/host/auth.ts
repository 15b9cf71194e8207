import { createHash, timingSafeEqual } from 'node:crypto';
import { KtrdrError } from '../errors.js';

/**
 * Checks `Authorization: Bearer <token>` against the shared secret in constant time. Both sides are hashed first, so
 * the comparison is always between two 32-byte buffers and its duration says nothing about the token's length.
 * Returns a function so the expected digest is computed once.
 */
export function bearerTokenCheck(token: string): (authorization: string | undefined) => boolean {
  const expected = digest(token);
  return (authorization) => {
    const match = authorization === undefined ? null : /^Bearer (.+)$/i.exec(authorization.trim());
    // Still compare when the header is missing or malformed, so every refusal takes the same path.
    const given = digest(match ? match[1] : '');
    return timingSafeEqual(given, expected) && match !== null;
  };
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

export function unauthorized(): KtrdrError {
  return new KtrdrError('UNAUTHORIZED', 'missing or wrong bearer token', {
    hint: 'send Authorization: Bearer <KTRDR_HOST_TOKEN>, the secret the host was started with',
  });
}
