import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCliProcess, startCli } from '../helpers/cli-process.js';
import { waitFor } from '../helpers/strategies.js';
import { BackendStub } from '../helpers/backend-stub.js';

describe('ktrdr host', () => {
  let root: string;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'ktrdr-host-cli-'));
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('should refuse to start without a token unless --insecure is given', async () => {
    const result = await runCliProcess(['host', '--port', '0'], { KTRDR_HOST_TOKEN: '', KTRDR_HOME: root });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('KTRDR_HOST_TOKEN');
    expect(result.stderr).toContain('--insecure');
  });

  it('should listen, register with the backend as a heartbeat, and stop on SIGTERM', async () => {
    const backend = await new BackendStub().start();
    try {
      const cli = startCli(
        [
          'host',
          '--port',
          '0',
          '--backend',
          backend.url,
          '--register',
          '--name',
          'cli-host',
          '--data-dir',
          root,
          '--cache-dir',
          join(root, 'cache'),
          '--log-level',
          'warn',
        ],
        { KTRDR_HOST_TOKEN: 'cli-token' },
      );
      await cli.waitFor(/listening on http:\/\/127\.0\.0\.1:\d+/);
      const registration = await waitFor(() => backend.registrations[0], 'the registration', 10_000);
      expect(registration).toMatchObject({ name: 'cli-host', url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/) });
      const url = (registration as { url: string }).url;
      const health = await fetch(`${url}/health`);
      expect(health.status).toBe(200);
      expect((await fetch(`${url}/training/x`)).status).toBe(401);
      expect((await fetch(`${url}/training/x`, { headers: { authorization: 'Bearer cli-token' } })).status).toBe(404);
      cli.child.kill('SIGTERM');
      const result = await cli.done;
      expect(result.code).toBe(0);
    } finally {
      await backend.close();
    }
  });

  it('should refuse --register without --backend', async () => {
    const result = await runCliProcess(['host', '--port', '0', '--register', '--insecure', '--cache-dir', join(root, 'cache2')], {
      KTRDR_HOME: root,
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('--backend');
  });
});
