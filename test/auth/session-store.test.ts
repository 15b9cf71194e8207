import { describe, expect, it } from 'vitest';
import { csrfMatches, sessionPrincipal, SessionStore } from '../../src/auth/session-store.js';
import type { TokenInfo } from '../../src/auth/token-store.js';

const token: TokenInfo = { name: 'alice', scope: 'train', created_at: '2026-01-01T00:00:00.000Z', last_used_at: null };

describe('SessionStore', () => {
  it('should find a session by its id until it expires', () => {
    let now = 1_000;
    const store = new SessionStore({ ttlMs: 500, now: () => now });
    const { id, session } = store.create(token);
    expect(id).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(store.get(id)).toEqual(session);
    expect(store.get(`${id}x`)).toBeNull();
    now = 1_499;
    expect(store.get(id)).not.toBeNull();
    now = 1_500;
    expect(store.get(id)).toBeNull();
  });

  it('should end a session on delete', () => {
    const store = new SessionStore();
    const { id } = store.create(token);
    store.delete(id);
    expect(store.get(id)).toBeNull();
  });

  it('should give each session its own CSRF token and compare it exactly', () => {
    const store = new SessionStore();
    const a = store.create(token).session;
    const b = store.create(token).session;
    expect(a.csrfToken).not.toBe(b.csrfToken);
    expect(csrfMatches(a, a.csrfToken)).toBe(true);
    expect(csrfMatches(a, b.csrfToken)).toBe(false);
    expect(csrfMatches(a, undefined)).toBe(false);
    expect(csrfMatches(a, a.csrfToken.slice(1))).toBe(false);
  });

  it("should grant no more than the token's current scope, and nothing once it is revoked or replaced", () => {
    const session = new SessionStore().create(token).session;
    expect(sessionPrincipal(session, [token])).toEqual({ name: 'alice', scope: 'train' });
    expect(sessionPrincipal(session, [{ ...token, scope: 'read' }])).toEqual({ name: 'alice', scope: 'read' });
    expect(sessionPrincipal(session, [{ ...token, scope: 'admin' }])).toEqual({ name: 'alice', scope: 'train' });
    expect(sessionPrincipal(session, [])).toBeNull();
    expect(sessionPrincipal(session, [{ ...token, created_at: '2026-02-01T00:00:00.000Z' }])).toBeNull();
  });
});
