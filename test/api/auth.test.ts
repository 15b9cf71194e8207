import { readdirSync, readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HealthSchema } from '../../src/contracts/health.js';
import { runCliProcess, startCli } from '../helpers/cli-process.js';
import { spxStrategy, tempDirs } from '../helpers/strategies.js';
import { errorCode, startTestBackend, type TestBackend } from '../helpers/test-backend.js';

/** `ktrdr tokens create` against a KTRDR_HOME, as an admin on the server machine does; returns the printed token. */
async function createToken(home: string, name: string, scope: string): Promise<string> {
  const result = await runCliProcess(['tokens', 'create', '--name', name, '--scope', scope], { KTRDR_HOME: home });
  expect(result.code, result.stderr).toBe(0);
  return result.stdout.trim();
}

/** A raw request with a chosen Host header (fetch does not let a caller pick it). */
function withHost(url: string, path: string, host: string): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${url}${path}`, { headers: { host } }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** The same server addressed through 127.0.0.1 (it listens there too when bound to 0.0.0.0). */
function viaLoopback<T extends { url: string }>(server: T): T {
  return { ...server, url: `http://127.0.0.1:${new URL(server.url).port}` };
}

/** `ktrdr serve` on `host`; the test stops it as soon as it has what it needs. */
async function serveOn(host: string, home: string, extra: string[] = []): Promise<{ url: string; output: () => string; stop: () => Promise<void> }> {
  const run = startCli(['serve', '--host', host, '--port', '0', ...extra], { KTRDR_HOME: home });
  let output = '';
  run.child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  run.child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  await run.waitFor(/listening on http:\/\/\S+/);
  const url = /listening on (http:\/\/\S+)/.exec(output)![1];
  return {
    url,
    output: () => output,
    stop: async () => {
      run.child.kill('SIGTERM');
      await run.done;
    },
  };
}

describe('access: API tokens, scopes, Host allowlist, security headers', () => {
  let server: TestBackend;
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

  beforeAll(async () => {
    server = await startTestBackend({ auth_tiny: spxStrategy('auth_tiny') });
  });
  afterAll(async () => server?.close());

  it('is open on loopback while no token exists, with security headers and a strict CSP on the docs page', async () => {
    const list = await server.http('GET', '/api/v1/operations');
    expect(list.status).toBe(200);
    expect(list.headers.get('x-content-type-options')).toBe('nosniff');
    expect(list.headers.get('x-frame-options')).toBe('DENY');
    expect(list.headers.get('referrer-policy')).toBe('no-referrer');
    expect(list.headers.get('access-control-allow-origin')).toBeNull();
    const health = HealthSchema.parse((await server.http('GET', '/api/v1/health')).body);
    expect(health.auth).toEqual({ tokens_required: false });
    const docs = await server.http('GET', '/api/v1/docs');
    expect(docs.headers.get('content-security-policy')).toMatch(/default-src 'none'; script-src 'sha256-[^']+'; style-src 'sha256-[^']+'/);
    expect(docs.headers.get('content-security-policy')).not.toContain('unsafe-inline');
    const document = (await server.http('GET', '/api/v1/openapi.json')).body as {
      paths: Record<string, Record<string, { security: unknown[]; 'x-ktrdr-scope'?: string; responses: Record<string, unknown> }>>;
    };
    expect(document.paths['/api/v1/trainings/start'].post).toMatchObject({
      security: [{ apiToken: [] }, { sessionCookie: [] }],
      'x-ktrdr-scope': 'train',
    });
    expect(document.paths['/api/v1/trainings/start'].post.responses).toHaveProperty('403');
    expect(document.paths['/api/v1/trainings/config'].put['x-ktrdr-scope']).toBe('admin');
    expect(document.paths['/api/v1/operations'].get['x-ktrdr-scope']).toBe('read');
    expect(document.paths['/api/v1/health'].get.security).toEqual([]);
    expect(document.paths['/api/v1/hosts/register'].post.security).toEqual([{ hostToken: [] }]);
  });

  it('refuses a foreign Host header (DNS rebinding) and answers loopback names and IP literals', async () => {
    const foreign = await withHost(server.url, '/api/v1/operations', 'attacker.example:8000');
    expect(foreign.status).toBe(421);
    expect(JSON.parse(foreign.body)).toMatchObject({ error: { code: 'HOST_NOT_ALLOWED' } });
    expect(foreign.headers['x-content-type-options']).toBe('nosniff');
    expect((await withHost(server.url, '/api/v1/operations', 'localhost:8000')).status).toBe(200);
    expect((await withHost(server.url, '/api/v1/operations', '127.0.0.1')).status).toBe(200);
  });

  it('once tokens exist: 401 without or with a wrong token, 403 for too low a scope, records who started a run', async () => {
    const home = server.dirs.home;
    const read = await createToken(home, 'reader', 'read');
    const train = await createToken(home, 'trainer', 'train');
    const admin = await createToken(home, 'boss', 'admin');
    expect(read).toMatch(/^ktrdr_[0-9a-f]{16}_/);

    const refused = await server.http('GET', '/api/v1/operations');
    expect(refused.status).toBe(401);
    expect(errorCode(refused)).toBe('UNAUTHORIZED');
    expect(errorCode(await server.http('GET', '/api/v1/operations', { headers: bearer(`${read}x`) }))).toBe('UNAUTHORIZED');
    expect(errorCode(await server.http('GET', '/api/v1/nowhere'))).toBe('UNAUTHORIZED');
    const health = await server.http('GET', '/api/v1/health');
    expect(health.status).toBe(200);
    expect(HealthSchema.parse(health.body).auth).toEqual({ tokens_required: true });

    expect((await server.http('GET', '/api/v1/operations', { headers: bearer(read) })).status).toBe(200);
    const start = { json: { strategy_name: 'auth_tiny', epochs: 1 } };
    const readStart = await server.http('POST', '/api/v1/trainings/start', { ...start, headers: bearer(read) });
    expect(readStart.status).toBe(403);
    expect(errorCode(readStart)).toBe('FORBIDDEN');
    const before = (await server.http('GET', '/api/v1/operations', { headers: bearer(read) })).body as { total: number };
    expect(before.total).toBe(0);

    const started = await server.http('POST', '/api/v1/trainings/start', { ...start, headers: bearer(train) });
    expect(started.status).toBe(202);
    const id = (started.body as { operation_id: string }).operation_id;
    const operation = await server.http('GET', `/api/v1/operations/${id}`, { headers: bearer(read) });
    expect(operation.body).toMatchObject({ request: { started_by: 'trainer' } });
    expect(operation.text).not.toContain(train);
    expect((await server.http('DELETE', `/api/v1/operations/${id}`, { headers: bearer(read) })).status).toBe(403);

    const config = { json: { default_execution_mode: 'local' } };
    expect(errorCode(await server.http('PUT', '/api/v1/trainings/config', { ...config, headers: bearer(train) }))).toBe('FORBIDDEN');
    expect((await server.http('PUT', '/api/v1/trainings/config', { ...config, headers: bearer(admin) })).status).toBe(200);
    // The endpoints hosts call keep their own token: an admin API token is not a host token.
    expect(errorCode(await server.http('POST', '/api/v1/hosts/register', { json: {}, headers: bearer(admin) }))).toBe('UNAUTHORIZED');

    // The CLI sends --token (or KTRDR_TOKEN).
    const cliRefused = await runCliProcess(['ops', 'list', '--server', server.url]);
    expect(cliRefused.code).not.toBe(0);
    expect(cliRefused.stderr).toContain('UNAUTHORIZED');
    const cliList = await runCliProcess(['ops', 'list', '--server', server.url, '--token', read, '--json']);
    expect(cliList.code, cliList.stderr).toBe(0);
    expect(JSON.parse(cliList.stdout)).toMatchObject({ data: [{ operation_id: id }] });
    const cliEnv = await runCliProcess(['ops', 'show', id, '--server', server.url, '--json'], { KTRDR_TOKEN: read });
    expect(cliEnv.code, cliEnv.stderr).toBe(0);

    // Revocation reaches the running server at its next request.
    const revoke = await runCliProcess(['tokens', 'revoke', 'reader'], { KTRDR_HOME: home });
    expect(revoke.code, revoke.stderr).toBe(0);
    expect(errorCode(await server.http('GET', '/api/v1/operations', { headers: bearer(read) }))).toBe('UNAUTHORIZED');
    expect((await server.http('GET', '/api/v1/operations', { headers: bearer(admin) })).status).toBe(200);

    // Listed without secrets; stored only hashed.
    const listed = await runCliProcess(['tokens', 'list', '--json'], { KTRDR_HOME: home });
    expect(listed.code, listed.stderr).toBe(0);
    const tokens = (JSON.parse(listed.stdout) as { data: { name: string; scope: string; last_used_at: string | null }[] }).data;
    expect(tokens.map((t) => [t.name, t.scope])).toEqual([
      ['trainer', 'train'],
      ['boss', 'admin'],
    ]);
    expect(tokens.find((t) => t.name === 'boss')?.last_used_at).not.toBeNull();
    for (const token of [read, train, admin]) expect(listed.stdout).not.toContain(token);
    // The whole secret part (`ktrdr_<id>_<secret>`; base64url secrets may themselves contain '_').
    const secrets = [read, train, admin].map((t) => /^ktrdr_[0-9a-f]{16}_(.{43})$/.exec(t)![1]);
    for (const file of readdirSync(home).filter((f) => f.startsWith('ktrdr.db'))) {
      const bytes = readFileSync(join(home, file)).toString('latin1');
      for (const secret of secrets) expect(bytes).not.toContain(secret);
    }
    expect([202, 409]).toContain((await server.http('DELETE', `/api/v1/operations/${id}`, { headers: bearer(train) })).status);
  });

  it('serve refuses to listen beyond loopback without an admin token, before binding', async () => {
    const dirs = await tempDirs({});
    try {
      const refused = await runCliProcess(['serve', '--host', '0.0.0.0', '--port', '0'], { KTRDR_HOME: dirs.home });
      expect(refused.code).not.toBe(0);
      expect(refused.stderr).toContain('AUTH_NOT_CONFIGURED');
      expect(refused.stderr).toContain('--insecure');
      await createToken(dirs.home, 'viewer', 'read');
      const stillRefused = await runCliProcess(['serve', '--host', '0.0.0.0', '--port', '0'], { KTRDR_HOME: dirs.home });
      expect(stillRefused.stderr).toContain('AUTH_NOT_CONFIGURED');
    } finally {
      await dirs.remove();
    }
  });

  it('tokens create refuses a bad scope and a duplicate name; revoke of an unknown name is TOKEN_NOT_FOUND', async () => {
    const dirs = await tempDirs({});
    try {
      const env = { KTRDR_HOME: dirs.home };
      expect((await runCliProcess(['tokens', 'create', '--name', 'x', '--scope', 'root'], env)).stderr).toContain('VALIDATION_FAILED');
      await createToken(dirs.home, 'x', 'read');
      expect((await runCliProcess(['tokens', 'create', '--name', 'x', '--scope', 'read'], env)).code).not.toBe(0);
      const unknown = await runCliProcess(['tokens', 'revoke', 'nobody'], env);
      expect(unknown.code).not.toBe(0);
      expect(unknown.stderr).toContain('TOKEN_NOT_FOUND');
    } finally {
      await dirs.remove();
    }
  });

  // Bound to every interface (beyond loopback), but every request goes to 127.0.0.1: tests send traffic only to
  // loopback addresses.
  it('beyond loopback: --insecure serves open with a warning; otherwise tokens stay required even after the last is revoked', async () => {
    const dirs = await tempDirs({});
    try {
      const open = viaLoopback(await serveOn('0.0.0.0', dirs.home, ['--insecure']));
      try {
        expect((await fetch(`${open.url}/api/v1/operations`)).status).toBe(200);
        const health = HealthSchema.parse(await (await fetch(`${open.url}/api/v1/health`)).json());
        expect(health.auth?.warning).toContain('--insecure');
        expect(open.output()).toContain('--insecure');
      } finally {
        await open.stop();
      }

      const admin = await createToken(dirs.home, 'boss', 'admin');
      const guarded = viaLoopback(await serveOn('0.0.0.0', dirs.home));
      try {
        expect((await fetch(`${guarded.url}/api/v1/operations`)).status).toBe(401);
        expect((await fetch(`${guarded.url}/api/v1/health`)).status).toBe(200);
        expect((await fetch(`${guarded.url}/api/v1/operations`, { headers: { authorization: `Bearer ${admin}` } })).status).toBe(200);
        expect((await runCliProcess(['tokens', 'revoke', 'boss'], { KTRDR_HOME: dirs.home })).code).toBe(0);
        const after = await fetch(`${guarded.url}/api/v1/operations`);
        expect(after.status).toBe(401);
      } finally {
        await guarded.stop();
      }
    } finally {
      await dirs.remove();
    }
  });

  it('refuses a client with 429 and Retry-After after 10 wrong tokens in a minute, a valid token too', async () => {
    const guarded = await startTestBackend({});
    try {
      const admin = await createToken(guarded.dirs.home, 'boss', 'admin');
      for (let i = 0; i < 10; i++) {
        expect(errorCode(await guarded.http('GET', '/api/v1/operations', { headers: bearer(`${admin}${i}`) }))).toBe('UNAUTHORIZED');
      }
      // Requests without a token guess nothing and are not counted.
      expect(errorCode(await guarded.http('GET', '/api/v1/operations'))).toBe('UNAUTHORIZED');
      const limited = await guarded.http('GET', '/api/v1/operations', { headers: bearer(admin) });
      expect(limited.status).toBe(429);
      expect(errorCode(limited)).toBe('TOO_MANY_FAILED_LOGINS');
      expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
      expect((await guarded.http('GET', '/api/v1/health')).status).toBe(200);
    } finally {
      await guarded.close();
    }
  });
});
