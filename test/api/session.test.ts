import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TokenStore } from '../../src/auth/token-store.js';
import { SessionStateSchema } from '../../src/contracts/session.js';
import { spxStrategy, waitFor } from '../helpers/strategies.js';
import { errorCode, memoryLogger, startTestBackend, type TestBackend } from '../helpers/test-backend.js';

/** The cookie pair (`name=value`) of a Set-Cookie header. */
function cookieOf(setCookie: string | null): string {
  return (setCookie ?? '').split(';')[0];
}

describe('dashboard sessions: cookie login, CSRF, logout', () => {
  let server: TestBackend;
  let trainToken: string;
  let readToken: string;
  const log = memoryLogger();

  beforeAll(async () => {
    server = await startTestBackend({ session_tiny: spxStrategy('session_tiny') }, { logger: log.logger });
    // The real token store of the server's KTRDR_HOME, as `ktrdr tokens create` writes it.
    const tokens = new TokenStore(server.dirs.home);
    trainToken = tokens.create('trainer', 'train').token;
    readToken = tokens.create('reader', 'read').token;
    tokens.close();
  });
  afterAll(async () => server?.close());

  async function login(token: string): Promise<{ cookie: string; csrf: string; setCookie: string }> {
    const result = await server.http('POST', '/api/v1/session', { json: {}, headers: { authorization: `Bearer ${token}` } });
    expect(result.status, result.text).toBe(200);
    const state = SessionStateSchema.parse(result.body);
    const setCookie = result.headers.get('set-cookie')!;
    return { cookie: cookieOf(setCookie), csrf: state.csrf_token!, setCookie };
  }

  it('should say whether a login is needed, and turn a token into an HttpOnly SameSite=Strict cookie', async () => {
    const before = SessionStateSchema.parse((await server.http('GET', '/api/v1/session')).body);
    expect(before).toEqual({ tokens_required: true, signed_in: false, token_name: null, scope: null, expires_at: null, csrf_token: null });

    const { cookie, csrf, setCookie } = await login(trainToken);
    expect(setCookie).toMatch(/^ktrdr_session=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; SameSite=Strict; Max-Age=43200$/);
    const after = SessionStateSchema.parse((await server.http('GET', '/api/v1/session', { headers: { cookie } })).body);
    expect(after).toMatchObject({ tokens_required: true, signed_in: true, token_name: 'trainer', scope: 'train', csrf_token: csrf });
    expect(Date.parse(after.expires_at!) - Date.now()).toBeGreaterThan(11.9 * 3600_000);
    expect((await server.http('GET', '/api/v1/strategies', { headers: { cookie } })).status).toBe(200);
  });

  it('should refuse a wrong token at login and an unknown cookie', async () => {
    const wrong = await server.http('POST', '/api/v1/session', { json: {}, headers: { authorization: 'Bearer ktrdr_0000000000000000_nope' } });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('set-cookie')).toBeNull();
    const forged = await server.http('GET', '/api/v1/strategies', { headers: { cookie: 'ktrdr_session=forged' } });
    expect(forged.status).toBe(401);
    expect(errorCode(forged)).toBe('UNAUTHORIZED');
  });

  it('should require the CSRF token on cookie-authenticated changes, but not on bearer requests', async () => {
    const { cookie, csrf } = await login(trainToken);
    const start = { strategy_name: 'session_tiny' };
    const withoutCsrf = await server.http('POST', '/api/v1/trainings/start', { json: start, headers: { cookie } });
    expect(withoutCsrf.status).toBe(403);
    expect(errorCode(withoutCsrf)).toBe('FORBIDDEN');
    expect(withoutCsrf.text).toContain('CSRF');
    const wrongCsrf = await server.http('POST', '/api/v1/trainings/start', { json: start, headers: { cookie, 'x-csrf-token': `${csrf}x` } });
    expect(wrongCsrf.status).toBe(403);
    const withCsrf = await server.http('POST', '/api/v1/trainings/start', { json: start, headers: { cookie, 'x-csrf-token': csrf } });
    expect(withCsrf.status).toBe(202);
    const bearer = await server.http('POST', '/api/v1/trainings/start', { json: start, headers: { authorization: `Bearer ${trainToken}` } });
    expect(bearer.status).toBe(202);
    const auth = { authorization: `Bearer ${trainToken}` };
    for (const result of [withCsrf, bearer]) {
      const id = (result.body as { operation_id: string }).operation_id;
      await waitFor(async () => {
        const op = await server.http('GET', `/api/v1/operations/${id}`, { headers: auth });
        return (op.body as { status: string }).status === 'completed' ? true : undefined;
      }, `${id} to complete`);
    }
  });

  it("should grant a session no more than its token's scope", async () => {
    const { cookie, csrf } = await login(readToken);
    const start = await server.http('POST', '/api/v1/trainings/start', {
      json: { strategy_name: 'session_tiny' },
      headers: { cookie, 'x-csrf-token': csrf },
    });
    expect(start.status).toBe(403);
    expect(start.text).toContain('scope read');
  });

  it('should end the session on logout and when its token is revoked', async () => {
    const first = await login(trainToken);
    const out = await server.http('DELETE', '/api/v1/session', { headers: { cookie: first.cookie } });
    expect(out.status).toBe(200);
    expect(out.headers.get('set-cookie')).toMatch(/^ktrdr_session=; .*Max-Age=0/);
    expect((await server.http('GET', '/api/v1/strategies', { headers: { cookie: first.cookie } })).status).toBe(401);

    const second = await login(readToken);
    const tokens = new TokenStore(server.dirs.home);
    tokens.revoke('reader');
    tokens.close();
    const revoked = await server.http('GET', '/api/v1/strategies', { headers: { cookie: second.cookie } });
    expect(revoked.status).toBe(401);
    expect(revoked.text).toContain('revoked');
  });

  it('should document the session endpoints and the cookie scheme', async () => {
    const document = (await server.http('GET', '/api/v1/openapi.json', { headers: { authorization: `Bearer ${trainToken}` } })).body as {
      paths: Record<string, Record<string, unknown>>;
      components: { securitySchemes: Record<string, unknown> };
    };
    expect(Object.keys(document.paths['/api/v1/session']).sort()).toEqual(['delete', 'get', 'post']);
    expect(document.components.securitySchemes.sessionCookie).toMatchObject({ type: 'apiKey', in: 'cookie', name: 'ktrdr_session' });
  });

  it('should never write a token, a session id or a CSRF token to the log', async () => {
    const { cookie, csrf } = await login(trainToken);
    const started = await server.http('POST', '/api/v1/trainings/start', {
      json: { strategy_name: 'session_tiny' },
      headers: { cookie, 'x-csrf-token': csrf },
    });
    const id = (started.body as { operation_id: string }).operation_id;
    await server.http('POST', '/api/v1/trainings/start', { json: { strategy_name: 'session_tiny' }, headers: { cookie } });
    await server.http('GET', '/api/v1/strategies', { headers: { cookie: 'ktrdr_session=forged' } });
    // The log is live (the run was logged), and it holds none of the secrets these requests carried.
    await waitFor(() => (JSON.stringify(log.records).includes(id) ? true : undefined), 'the run to be logged');
    const written = JSON.stringify(log.records);
    for (const secret of [trainToken, cookie.split('=')[1], csrf]) expect(written).not.toContain(secret);
  });
});
