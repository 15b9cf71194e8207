import { createHash } from 'node:crypto';
import { isIP } from 'node:net';
import { hostname } from 'node:os';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { csrfMatches, sessionPrincipal, type SessionStore } from '../auth/session-store.js';
import { scopeAllows, type Principal, type Scope, type TokenStore } from '../auth/token-store.js';
import { KtrdrError } from '../errors.js';
import { CSRF_HEADER, readSessionCookie } from './session-cookie.js';

/**
 * Who may call a route: `public` (health), `host` (the endpoints training hosts call, guarded by KTRDR_HOST_TOKEN
 * instead), or the API token scope it needs.
 */
export type Access = 'public' | 'host' | Scope;

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: Access;
  }
}

export interface AccessOptions {
  /** API tokens; once one exists, every non-public route needs one. */
  readonly tokens: TokenStore;
  /** Listening beyond loopback: tokens are required even when none exists yet (then everything is refused). */
  readonly networkBound: boolean;
  /** `ktrdr serve --insecure`: off loopback without tokens, stay open (warned at start and in /health). */
  readonly insecure: boolean;
  /** Host names (beside loopback names and IP literals) requests may name in `Host`: public URL, bound address. */
  readonly allowedHosts: readonly string[];
  /** Wrong tokens one client may send per window before it is refused with 429. @defaultValue 10 per minute */
  readonly failedLogins?: { readonly limit: number; readonly windowMs: number };
  /** Dashboard logins: a session cookie stands in for the token it was made from. @defaultValue none (tokens only) */
  readonly sessions?: SessionStore;
  /** Mark session cookies Secure even on plain HTTP (behind a TLS proxy: KTRDR_PUBLIC_URL is https). */
  readonly secureCookies?: boolean;
}

/** Reading needs no CSRF token: a cross-site page cannot read the answer, and reads change nothing. */
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** What `/health` says about access, so an operator sees an open server at a glance. */
export interface AccessStatus {
  readonly tokens_required: boolean;
  readonly warning?: string;
}

const principals = new WeakMap<FastifyRequest, Principal>();

/** The token that authenticated this request, or undefined when the server is open. */
export function principalOf(request: FastifyRequest): Principal | undefined {
  return principals.get(request);
}

/** The default of a route that declares none: reading is `read`; anything that changes state is `admin` until declared. */
export function defaultAccess(method: string): Access {
  return method === 'GET' || method === 'HEAD' ? 'read' : 'admin';
}

export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '').toLowerCase();
  return bare === 'localhost' || bare === '::1' || /^127\.\d+\.\d+\.\d+$/.test(bare);
}

/**
 * Installs the browser and token defences, in this order on every request: the Host allowlist (DNS rebinding), the
 * security headers, then the token check for the route's access level. Rules: open while on loopback and no token
 * exists (as before tokens existed); otherwise a valid token of a sufficient scope, except for `public` and `host`
 * routes.
 */
export function installAccessControl(app: FastifyInstance, options: AccessOptions): () => AccessStatus {
  const allowed = new Set(['localhost', hostname().toLowerCase(), ...options.allowedHosts.map((h) => h.toLowerCase())]);
  const alwaysRequired = options.networkBound && !options.insecure;
  const tokensRequired = () => alwaysRequired || options.tokens.any();
  const failures = new FailedLogins(options.failedLogins ?? { limit: 10, windowMs: 60_000 });

  app.addHook('onRequest', async (request, reply) => {
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) reply.raw.setHeader(name, value);
    const host = request.headers.host;
    if (host !== undefined && !isAllowedHost(host, allowed)) {
      throw new KtrdrError('HOST_NOT_ALLOWED', `this server does not answer for host '${hostPart(host)}'`, {
        hint: 'use the address the server listens on, or add the name to KTRDR_PUBLIC_URL / KTRDR_ALLOWED_HOSTS',
      });
    }
    const access = request.routeOptions.config?.access ?? defaultAccess(request.method);
    if (access === 'public' || access === 'host' || !tokensRequired()) return;
    const match = /^Bearer (\S+)$/i.exec(request.headers.authorization?.trim() ?? '');
    if (match === null && options.sessions !== undefined) {
      const sessionId = readSessionCookie(request);
      if (sessionId !== undefined) return authorize(request, sessionAuth(request, sessionId, options.sessions, options.tokens), access);
    }
    // Only wrong tokens count: a request without one guesses nothing.
    const retryAfter = match === null ? 0 : failures.retryAfterSeconds(request.ip);
    if (retryAfter > 0) {
      reply.raw.setHeader('retry-after', String(retryAfter));
      throw new KtrdrError('TOO_MANY_FAILED_LOGINS', 'too many wrong API tokens from this client', {
        details: { retry_after_seconds: retryAfter },
        hint: `wait ${retryAfter} s, then send a valid token`,
      });
    }
    const principal = match === null ? null : options.tokens.verify(match[1]);
    if (principal === null && match !== null) failures.record(request.ip);
    if (principal === null) {
      throw new KtrdrError('UNAUTHORIZED', match === null ? 'an API token is required' : 'unknown or revoked API token', {
        hint: 'send Authorization: Bearer <token> (KTRDR_TOKEN or --token); an admin creates tokens with `ktrdr tokens create` on the server',
      });
    }
    authorize(request, principal, access);
  });

  return () => {
    if (options.insecure && options.networkBound && !options.tokens.any()) {
      return { tokens_required: false, warning: 'started with --insecure: every endpoint is open to anyone who can reach this server' };
    }
    return { tokens_required: tokensRequired() };
  };
}

function authorize(request: FastifyRequest, principal: Principal, access: Scope): void {
  if (!scopeAllows(principal.scope, access)) {
    throw new KtrdrError('FORBIDDEN', `token '${principal.name}' has scope ${principal.scope}; this needs ${access}`, {
      details: { scope: principal.scope, required: access },
    });
  }
  principals.set(request, principal);
}

/**
 * A request carrying the dashboard's session cookie (and no bearer token): the session must be live, its token still
 * valid, and anything but a read must echo the session's CSRF token, which a page on another site cannot know.
 */
function sessionAuth(request: FastifyRequest, sessionId: string, sessions: SessionStore, tokens: TokenStore): Principal {
  const session = sessions.get(sessionId);
  if (session === null) {
    throw new KtrdrError('UNAUTHORIZED', 'the dashboard session has expired or ended', { hint: 'log in again with an API token' });
  }
  const principal = sessionPrincipal(session, tokens.list());
  if (principal === null) {
    sessions.delete(sessionId);
    throw new KtrdrError('UNAUTHORIZED', `token '${session.tokenName}' of this session was revoked`, { hint: 'log in again with a valid API token' });
  }
  const csrf = request.headers[CSRF_HEADER];
  if (!SAFE_METHODS.has(request.method) && !csrfMatches(session, Array.isArray(csrf) ? csrf[0] : csrf)) {
    throw new KtrdrError('FORBIDDEN', 'a request authenticated by the session cookie must carry its CSRF token', {
      hint: `send the csrf_token of GET /api/v1/session in the ${CSRF_HEADER} header, or use Authorization: Bearer <token>`,
    });
  }
  return principal;
}

/** Every answer: no sniffing, no referrer, no framing, and no active content unless a page says otherwise. */
const SECURITY_HEADERS = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
};

/**
 * A Content-Security-Policy for a static HTML page: its own inline `<script>` and `<style>` by hash (no other inline
 * code runs), fetches to this origin only, no framing.
 */
export function pageContentSecurityPolicy(html: string): string {
  const hashes = (tag: string) =>
    [...html.matchAll(new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`, 'g'))]
      .map((m) => `'sha256-${createHash('sha256').update(m[1], 'utf8').digest('base64')}'`)
      .join(' ');
  return `default-src 'none'; script-src ${hashes('script')}; style-src ${hashes('style')}; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`;
}

function hostPart(header: string): string {
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(header);
  if (bracketed) return bracketed[1].toLowerCase();
  return header.replace(/:\d+$/, '').toLowerCase();
}

/** IP literals cannot be rebound by a DNS answer, so they are always allowed; names only when known. */
function isAllowedHost(header: string, allowed: ReadonlySet<string>): boolean {
  const host = hostPart(header);
  return isIP(host) !== 0 || isLoopbackHost(host) || allowed.has(host);
}

/** Wrong-token counts per client address, in fixed windows; a client over the limit waits for its window to end. */
class FailedLogins {
  private readonly byClient = new Map<string, { start: number; count: number }>();

  constructor(private readonly options: { readonly limit: number; readonly windowMs: number }) {}

  record(client: string, now: number = Date.now()): void {
    const entry = this.current(client, now) ?? { start: now, count: 0 };
    entry.count += 1;
    this.byClient.set(client, entry);
    // Bounded memory under a spray of addresses: forget finished windows once the map grows.
    if (this.byClient.size > 10_000)
      for (const [key, value] of this.byClient) if (now - value.start >= this.options.windowMs) this.byClient.delete(key);
  }

  retryAfterSeconds(client: string, now: number = Date.now()): number {
    const entry = this.current(client, now);
    if (entry === undefined || entry.count < this.options.limit) return 0;
    return Math.max(1, Math.ceil((entry.start + this.options.windowMs - now) / 1000));
  }

  private current(client: string, now: number): { start: number; count: number } | undefined {
    const entry = this.byClient.get(client);
    return entry !== undefined && now - entry.start < this.options.windowMs ? entry : undefined;
  }
}
