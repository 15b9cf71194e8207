import type { FastifyRequest } from 'fastify';
import { KtrdrError } from '../errors.js';
import { bearerTokenGuard } from '../http/bearer-token.js';

export interface HostAuthOptions {
  /** `KTRDR_HOST_TOKEN`: the secret hosts send as `Authorization: Bearer <token>`. */
  readonly token: string | undefined;
  /** `ktrdr serve --insecure-hosts`: without a token, leave the host endpoints open instead of closed. */
  readonly insecure?: boolean;
}

/**
 * Guards the endpoints hosts call (register, result push, data download). The rule: with a token configured, every
 * call must carry it; without one the endpoints refuse everyone (401) unless the server was started with
 * `--insecure-hosts`, so forgetting the token can never silently open them. A wrong, missing or malformed header is
 * refused the same way, and the comparison takes the same time whatever was sent (both sides are hashed to 32 bytes
 * and compared with `timingSafeEqual`).
 */
export function hostAuthGuard(options: HostAuthOptions): (request: FastifyRequest) => void {
  if (options.token === undefined) {
    if (options.insecure) return () => undefined;
    return () => {
      throw new KtrdrError('UNAUTHORIZED', 'host endpoints are closed: this server has no KTRDR_HOST_TOKEN', {
        hint: 'set KTRDR_HOST_TOKEN on the backend and its hosts, or start the backend with --insecure-hosts (trusted networks only)',
      });
    };
  }
  return bearerTokenGuard(options.token, 'send Authorization: Bearer <KTRDR_HOST_TOKEN>');
}
