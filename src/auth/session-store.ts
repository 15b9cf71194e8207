import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { scopeAllows, type Principal, type TokenInfo } from './token-store.js';

/** 12 hours: a working day at the dashboard without logging in again, short enough that a forgotten tab expires. */
export const DEFAULT_SESSION_TTL_MS = 12 * 3600_000;
/** Bounds memory if something logs in in a loop; the oldest sessions go first. */
const MAX_SESSIONS = 10_000;

/** A dashboard login: which token it came from (by name and creation time, never the secret) and its CSRF token. */
export interface Session {
  readonly tokenName: string;
  /** Tells a revoked-and-recreated token of the same name from the one that logged in. */
  readonly tokenCreatedAt: string;
  readonly scope: Principal['scope'];
  readonly csrfToken: string;
  readonly expiresAt: number;
}

export interface SessionStoreOptions {
  /** @defaultValue 12 hours */
  readonly ttlMs?: number;
  readonly now?: () => number;
}

/**
 * Dashboard sessions, in memory: a server restart logs everyone out, which is the safe direction. Session ids are
 * 256 random bits; the map is keyed by their SHA-256, so not even a heap dump of the server holds a usable cookie.
 */
export class SessionStore {
  private readonly sessions = new Map<string, Session>();
  readonly ttlMs: number;
  private readonly now: () => number;

  constructor(options: SessionStoreOptions = {}) {
    this.ttlMs = options.ttlMs ?? DEFAULT_SESSION_TTL_MS;
    this.now = options.now ?? Date.now;
  }

  /** Starts a session for a token the caller has just verified; returns the cookie value and the session. */
  create(token: TokenInfo): { id: string; session: Session } {
    const id = randomBytes(32).toString('base64url');
    const session: Session = {
      tokenName: token.name,
      tokenCreatedAt: token.created_at,
      scope: token.scope,
      csrfToken: randomBytes(32).toString('base64url'),
      expiresAt: this.now() + this.ttlMs,
    };
    if (this.sessions.size >= MAX_SESSIONS) this.sessions.delete(this.sessions.keys().next().value!);
    this.sessions.set(digest(id), session);
    return { id, session };
  }

  /** The live session of a cookie value, or null (unknown, expired). */
  get(id: string): Session | null {
    const key = digest(id);
    const session = this.sessions.get(key);
    if (session === undefined) return null;
    if (session.expiresAt <= this.now()) {
      this.sessions.delete(key);
      return null;
    }
    return session;
  }

  delete(id: string): void {
    this.sessions.delete(digest(id));
  }
}

/** Whether a request's CSRF header is the session's, compared in constant time. */
export function csrfMatches(session: Session, header: string | undefined): boolean {
  if (header === undefined) return false;
  const given = Buffer.from(header);
  const expected = Buffer.from(session.csrfToken);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/**
 * What a session may do now: the token's current scope, or nothing once the token was revoked (or replaced by a new
 * one of the same name). A session never outlives or outranks the token it came from.
 */
export function sessionPrincipal(session: Session, tokens: readonly TokenInfo[]): Principal | null {
  const token = tokens.find((t) => t.name === session.tokenName && t.created_at === session.tokenCreatedAt);
  if (token === undefined) return null;
  return { name: token.name, scope: scopeAllows(session.scope, token.scope) ? token.scope : session.scope };
}

function digest(id: string): string {
  return createHash('sha256').update(id).digest('hex');
}
