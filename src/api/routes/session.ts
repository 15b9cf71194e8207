import type { FastifyRequest } from 'fastify';
import type { Session, SessionStore } from '../../auth/session-store.js';
import type { TokenStore } from '../../auth/token-store.js';
import { LoginRequestSchema, LogoutResponseSchema, SessionStateSchema, type SessionState } from '../../contracts/session.js';
import { KtrdrError } from '../../errors.js';
import { principalOf, type AccessStatus } from '../access.js';
import { jsonRoute, type AnyRoute } from '../route.js';
import { clearedSessionCookie, readSessionCookie, sessionCookie } from '../session-cookie.js';

export interface SessionRouteDeps {
  readonly sessions: SessionStore;
  readonly tokens: TokenStore;
  readonly access: () => AccessStatus;
  readonly secureCookies: boolean;
}

/**
 * The dashboard's login: an API token sent once as a bearer header becomes a session cookie. Scripts and the CLI keep
 * sending bearer tokens; the cookie exists so the token need not live in the page (where any script could read it).
 */
export function sessionRoutes(deps: SessionRouteDeps): AnyRoute[] {
  const secure = (request: FastifyRequest) => deps.secureCookies || request.protocol === 'https';
  const state = (session: Session | null): SessionState => ({
    tokens_required: deps.access().tokens_required,
    signed_in: session !== null,
    token_name: session?.tokenName ?? null,
    scope: session?.scope ?? null,
    expires_at: session === null ? null : new Date(session.expiresAt).toISOString(),
    csrf_token: session?.csrfToken ?? null,
  });
  return [
    jsonRoute({
      method: 'GET',
      url: '/session',
      tag: 'session',
      summary: 'Whether the dashboard must log in, and its session (with the CSRF token)',
      access: 'public',
      status: 200,
      response: SessionStateSchema,
      async handle(_input, request) {
        const id = readSessionCookie(request);
        return state(id === undefined ? null : deps.sessions.get(id));
      },
    }),
    jsonRoute({
      method: 'POST',
      url: '/session',
      tag: 'session',
      summary: 'Log in: turns the bearer token of this request into an HttpOnly session cookie',
      description:
        'Send `Authorization: Bearer <token>`. The answer sets `ktrdr_session` (HttpOnly, SameSite=Strict, Secure over TLS; expires after KTRDR_SESSION_HOURS, default 12) and returns the CSRF token that cookie-authenticated requests which change state must send as `X-CSRF-Token`. The session has the scope of its token and ends when the token is revoked.',
      access: 'read',
      body: LoginRequestSchema,
      status: 200,
      response: SessionStateSchema,
      errors: ['UNAUTHORIZED', 'TOO_MANY_FAILED_LOGINS'],
      async handle(_input, request, reply) {
        const principal = principalOf(request);
        const token = principal === undefined ? undefined : deps.tokens.list().find((t) => t.name === principal.name);
        if (token === undefined) {
          throw new KtrdrError('VALIDATION_FAILED', 'this server requires no API token, so there is nothing to log in to', {
            hint: 'tokens are required once one exists (`ktrdr tokens create`) or when the server listens beyond loopback',
          });
        }
        const { id, session } = deps.sessions.create({ ...token, scope: principal!.scope });
        void reply.header('set-cookie', sessionCookie(id, deps.sessions.ttlMs / 1000, secure(request)));
        return state(session);
      },
    }),
    jsonRoute({
      method: 'DELETE',
      url: '/session',
      tag: 'session',
      summary: 'Log out: ends the session of the cookie sent and clears the cookie',
      access: 'public',
      status: 200,
      response: LogoutResponseSchema,
      async handle(_input, request, reply) {
        const id = readSessionCookie(request);
        if (id !== undefined) deps.sessions.delete(id);
        void reply.header('set-cookie', clearedSessionCookie(secure(request)));
        return { signed_in: false as const };
      },
    }),
  ];
}
