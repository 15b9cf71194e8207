import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
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

/**
 * A request guard (for `onRequest`, before the body is read) that refuses a wrong, missing or malformed bearer token
 * with 401 UNAUTHORIZED; `hint` says which secret the caller should send.
 */
export function bearerTokenGuard(token: string, hint: string): (request: FastifyRequest) => void {
  const isAuthorized = bearerTokenCheck(token);
  return (request) => {
    if (!isAuthorized(request.headers.authorization)) throw new KtrdrError('UNAUTHORIZED', 'missing or wrong bearer token', { hint });
  };
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}
