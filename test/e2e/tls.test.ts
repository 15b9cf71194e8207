import { request } from 'node:https';
import { request as plainRequest } from 'node:http';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCliProcess } from '../helpers/cli-process.js';
import { HOST_TOKEN, startHostProcess, type HostProcess } from '../helpers/host-process.js';
import { DATA_DIR, spxStrategy, tempDirs, type TempDirs } from '../helpers/strategies.js';
import { startServerProcess, type ServerProcess } from '../helpers/server-process.js';
import { projectRoot } from '../../src/util/package-info.js';

/** A self-signed certificate for localhost and 127.0.0.1, made for these tests only (see test/fixtures/README.md). */
const CERT = join(projectRoot(), 'test', 'fixtures', 'tls', 'localhost-cert.pem');
const KEY = join(projectRoot(), 'test', 'fixtures', 'tls', 'localhost-key.pem');
const TLS_ARGS = ['--tls-cert', CERT, '--tls-key', KEY];
/** How a user makes Node trust a private certificate: the process (CLI, backend, host) reads it at start. */
const TRUST = { NODE_EXTRA_CA_CERTS: CERT };

function getHttps(url: string, ca: Buffer): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { ca }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('TLS: ktrdr serve and ktrdr host over HTTPS', () => {
  let dirs: TempDirs;
  let host: HostProcess;
  let server: ServerProcess;

  beforeAll(async () => {
    host = await startHostProcess({ extraArgs: TLS_ARGS, env: TRUST });
    dirs = await tempDirs({ tls_tiny: spxStrategy('tls_tiny', { epochs: 2 }) });
    server = await startServerProcess(
      {
        KTRDR_HOME: dirs.home,
        KTRDR_MODELS_DIR: dirs.models,
        KTRDR_STRATEGIES_DIR: dirs.strategies,
        KTRDR_DATA_DIR: DATA_DIR,
        KTRDR_HOSTS: host.url,
        KTRDR_HOST_TOKEN: HOST_TOKEN,
        ...TRUST,
      },
      20_000,
      TLS_ARGS,
    );
  });
  afterAll(async () => {
    if (server?.child.exitCode === null) server.child.kill('SIGKILL');
    await host?.kill();
    await dirs?.remove();
  });

  it('serves HTTPS only, trains on a host over HTTPS, and tells a client that does not trust the certificate what to do', async () => {
    expect(server.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(host.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const health = await getHttps(`${server.url}/api/v1/health`, readFileSync(CERT));
    expect(health.status).toBe(200);

    // Plain HTTP to the TLS port gets no API answer.
    const cleartext = await new Promise<string>((resolve) => {
      const req = plainRequest(`${server.url.replace('https:', 'http:')}/api/v1/health`, (res) => resolve(`HTTP ${res.statusCode}`));
      req.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
      req.end();
    });
    expect(cleartext).not.toBe('HTTP 200');

    // The backend reaches the host over HTTPS (start, poll) and the host pushes its result back over HTTPS.
    const trained = await runCliProcess(['train', 'tls_tiny', '--server', server.url, '--mode', 'host'], TRUST, 60_000);
    expect(trained.code, trained.stderr).toBe(0);
    expect(trained.stdout).toContain(host.url);
    const listed = await runCliProcess(['ops', 'list', '--server', server.url, '--json'], TRUST);
    expect(listed.code, listed.stderr).toBe(0);
    expect(JSON.parse(listed.stdout)).toMatchObject({ data: [{ status: 'completed', execution: { selected: 'host', host: host.url } }] });

    const untrusted = await runCliProcess(['ops', 'list', '--server', server.url]);
    expect(untrusted.code).not.toBe(0);
    expect(untrusted.stderr).toContain('SERVER_UNREACHABLE');
    expect(untrusted.stderr).toContain('NODE_EXTRA_CA_CERTS');
  });

  it('refuses half a TLS configuration and files that are not a certificate and its key, before listening', async () => {
    const env = { KTRDR_HOME: dirs.home, KTRDR_HOST_TOKEN: HOST_TOKEN };
    const half = await runCliProcess(['serve', '--port', '0', '--tls-cert', CERT], env);
    expect(half.code).not.toBe(0);
    expect(half.stderr).toContain('VALIDATION_FAILED');
    expect(half.stderr).toContain('--tls-key');

    const swapped = await runCliProcess(['host', '--port', '0', '--tls-cert', KEY, '--tls-key', CERT], env);
    expect(swapped.code).not.toBe(0);
    expect(swapped.stderr).toContain('TLS_INVALID');

    const missing = await runCliProcess(['serve', '--port', '0', '--tls-cert', join(dirs.root, 'nope.pem'), '--tls-key', KEY], env);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain('TLS_INVALID');
    expect(missing.stderr).toContain('ENOENT');
  });
});
