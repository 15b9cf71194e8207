import { existsSync } from 'node:fs';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/strategies.js';
import { sha256File, SPX_CSV, spxStartRequest, startTestHost, TOKEN, type TestHost } from '../helpers/host-harness.js';
import { BackendStub } from '../helpers/backend-stub.js';

/** The SPX file with its last bar removed: same name, different bytes. */
async function writeAlteredSpx(file: string): Promise<void> {
  const lines = (await readFile(SPX_CSV, 'utf8')).trimEnd().split('\n');
  await writeFile(file, lines.slice(0, -1).join('\n') + '\n');
}

describe('market data on a host', () => {
  let host: TestHost | undefined;
  let backend: BackendStub | undefined;
  afterEach(async () => {
    await host?.close();
    await backend?.close();
    host = backend = undefined;
  });

  it("should use the host's own file when its sha256 matches, without downloading", async () => {
    backend = await new BackendStub({ files: { SPX_1d: SPX_CSV } }).start();
    host = await startTestHost();
    await host.client.start(await spxStartRequest('op-own', { callback_url: backend.callbackUrl('op-own') }));
    expect((await host.client.waitUntilFinished('op-own')).final.status).toBe('completed');
    expect(backend.downloads).toEqual([]);
  });

  it('should download a series whose local copy differs, check it, cache it by hash and reuse the cache', async () => {
    backend = await new BackendStub({ files: { SPX_1d: SPX_CSV } }).start();
    host = await startTestHost();
    await writeAlteredSpx(join(host.dataDir, 'SPX_1d.csv'));
    const sha = await sha256File(SPX_CSV);

    await host.client.start(await spxStartRequest('op-dl-1', { callback_url: backend.callbackUrl('op-dl-1') }));
    const first = await host.client.waitUntilFinished('op-dl-1');
    expect(first.final).toMatchObject({ status: 'completed', error: null });
    expect(backend.downloads).toEqual([{ path: '/api/v1/data/SPX/1d', authorization: `Bearer ${TOKEN}` }]);
    expect(await sha256File(join(host.cacheDir, `${sha}.csv`))).toBe(sha);
    expect((await host.client.result('op-dl-1')).manifest.data[0].sha256).toBe(sha);

    await host.client.start(await spxStartRequest('op-dl-2', { callback_url: backend.callbackUrl('op-dl-2') }));
    expect((await host.client.waitUntilFinished('op-dl-2')).final.status).toBe('completed');
    expect(backend.downloads).toHaveLength(1);
    // Run directories are gone once their runs ended.
    expect(await readdir(host.runsDir)).toEqual([]);
  });

  it('should accept a gzip body sent as content, from the --backend URL', async () => {
    backend = await new BackendStub({ files: { SPX_1d: SPX_CSV }, gzipAs: 'content' }).start();
    host = await startTestHost({ withSpxData: false, runs: { backendUrl: backend.url } });
    await host.client.start(await spxStartRequest('op-content'));
    expect((await host.client.waitUntilFinished('op-content')).final).toMatchObject({ status: 'completed' });
    expect(backend.downloads).toHaveLength(1);
  });

  it('should fail the run with DATA_INVALID when the downloaded bytes hash differently, and cache nothing', async () => {
    backend = await new BackendStub({ files: { SPX_1d: SPX_CSV } }).start();
    host = await startTestHost({ withSpxData: false, runs: { backendUrl: backend.url } });
    const request = await spxStartRequest('op-wrongsha');
    const wanted = 'ab'.repeat(32);
    await host.client.start({ ...request, data: [{ symbol: 'SPX', timeframe: '1d', sha256: wanted }] });
    const { final } = await host.client.waitUntilFinished('op-wrongsha');
    expect(final).toMatchObject({ status: 'failed', result_available: false, error: { code: 'DATA_INVALID' } });
    expect(final.error!.message).toContain(wanted);
    expect(final.error!.message).toContain(await sha256File(SPX_CSV));
    expect(existsSync(join(host.cacheDir, `${wanted}.csv`))).toBe(false);
    expect((await readdir(host.cacheDir)).filter((name) => name !== 'runs')).toEqual([]);
  });

  it('should fail with DATA_NOT_FOUND when the backend has no such series', async () => {
    backend = await new BackendStub({ files: {} }).start();
    host = await startTestHost({ withSpxData: false });
    await host.client.start(await spxStartRequest('op-404', { callback_url: backend.callbackUrl('op-404') }));
    const { final } = await host.client.waitUntilFinished('op-404');
    expect(final).toMatchObject({ status: 'failed', error: { code: 'DATA_NOT_FOUND' } });
    expect(final.error!.message).toContain('HTTP 404');
  });

  it('should fail with DATA_NOT_FOUND when there is no copy and no backend to ask', async () => {
    host = await startTestHost({ withSpxData: false });
    await host.client.start(await spxStartRequest('op-nobackend'));
    const { final } = await host.client.waitUntilFinished('op-nobackend');
    expect(final).toMatchObject({ status: 'failed', error: { code: 'DATA_NOT_FOUND' } });
    expect(final.error!.message).toContain('no backend');
  });

  it('should fail with DATA_NOT_FOUND when the backend cannot be reached', async () => {
    backend = await new BackendStub().start();
    const unreachable = backend.url;
    await backend.close();
    backend = undefined;
    host = await startTestHost({ withSpxData: false, runs: { backendUrl: unreachable } });
    await host.client.start(await spxStartRequest('op-unreachable'));
    const final = await waitFor(async () => {
      const body = await host!.client.status('op-unreachable');
      return body.status === 'failed' ? body : undefined;
    }, 'the failure');
    expect(final.error).toMatchObject({ code: 'DATA_NOT_FOUND' });
  });

  it('should cancel a run while its data is still downloading', async () => {
    backend = await new BackendStub({ files: { SPX_1d: SPX_CSV }, dataDelayMs: 1500 }).start();
    host = await startTestHost({ withSpxData: false, runs: { backendUrl: backend.url } });
    await host.client.start(await spxStartRequest('op-cancel-dl'));
    await waitFor(() => (backend!.downloads.length > 0 ? true : undefined), 'the download to begin');
    const asked = performance.now();
    expect(await host.client.json('POST', '/training/op-cancel-dl/cancel')).toMatchObject({ status: 202, body: { status: 'queued' } });
    const final = await waitFor(async () => {
      const body = await host!.client.status('op-cancel-dl');
      return body.status === 'queued' ? undefined : body;
    }, 'the cancel');
    expect(performance.now() - asked).toBeLessThan(1000);
    expect(final).toMatchObject({ status: 'cancelled', device: null, error: null, events: [] });
    expect(host.runs.health().active).toBe(0);
  });
});
