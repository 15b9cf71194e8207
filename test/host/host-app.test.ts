import { afterEach, describe, expect, it } from 'vitest';
import { HostHealthSchema, HostRunStatusSchema } from '../../src/contracts/host-protocol.js';
import { longStrategy, waitFor } from '../helpers/strategies.js';
import { HostClient, spxStartRequest, startTestHost, TOKEN, type TestHost } from '../helpers/host-harness.js';

describe('host HTTP app', () => {
  let host: TestHost | undefined;
  const open = async (options: Parameters<typeof startTestHost>[0] = {}) => (host = await startTestHost(options));
  afterEach(async () => {
    await host?.close();
    host = undefined;
  });

  it('should report health without a token, honestly', async () => {
    const { url } = await open({ concurrency: 3 });
    const response = await fetch(`${url}/health`);
    expect(response.status).toBe(200);
    const body = HostHealthSchema.parse(await response.json());
    expect(body).toMatchObject({ status: 'ok', busy: false, active: 0, capacity: 3, device: { kind: 'cpu' } });
    expect(body.device.cores).toBeGreaterThan(0);
    expect(body.device.memory).toBeGreaterThan(0);
  });

  it('should refuse every other endpoint without the right token, and run nothing', async () => {
    const { url, runs } = await open();
    const request = await spxStartRequest('op-unauth');
    for (const token of [undefined, 'wrong', `${TOKEN}x`, TOKEN.slice(0, -1)]) {
      const client = new HostClient(url, token);
      const start = await client.json('POST', '/training/start', request);
      expect(start.status).toBe(401);
      expect(start.body).toEqual({ error: { code: 'UNAUTHORIZED', message: expect.any(String), hint: expect.any(String) } });
      expect((await client.json('GET', '/training/op-unauth')).status).toBe(401);
      expect((await client.json('POST', '/training/op-unauth/cancel')).status).toBe(401);
      expect((await client.json('GET', '/training/op-unauth/result')).status).toBe(401);
      expect((await client.json('DELETE', '/training/op-unauth')).status).toBe(401);
    }
    const basic = await fetch(`${url}/training/op-unauth`, { headers: { authorization: `Basic ${TOKEN}` } });
    expect(basic.status).toBe(401);
    expect(runs.health().active).toBe(0);
    expect((await new HostClient(url, TOKEN).json('GET', '/training/op-unauth')).status).toBe(404);
  });

  it('should answer 404 for an unknown run and 400 for a bad body or query', async () => {
    const { client } = await open();
    expect(await client.json('GET', '/training/nope')).toMatchObject({ status: 404, body: { error: { code: 'OPERATION_NOT_FOUND' } } });
    expect(await client.json('POST', '/training/nope/cancel')).toMatchObject({ status: 404 });
    expect(await client.json('GET', '/training/nope/result')).toMatchObject({ status: 404 });
    expect(await client.json('DELETE', '/training/nope')).toMatchObject({ status: 404 });
    expect(await client.json('GET', '/nothing/here')).toMatchObject({ status: 404, body: { error: { code: 'NOT_FOUND' } } });

    const good = await spxStartRequest('op-bad');
    for (const bad of [
      {},
      { ...good, operation_id: '../x' },
      { ...good, data: [] },
      { ...good, data: [{ symbol: 'SPX', timeframe: '1d', sha256: 'abc' }] },
      { ...good, extra: 1 },
    ]) {
      const response = await client.json('POST', '/training/start', bad);
      expect(response.status).toBe(400);
      expect(response.body).toMatchObject({ error: { code: 'VALIDATION_FAILED' } });
    }
    const notJson = await client.request('POST', '/training/start', undefined, { 'content-type': 'text/plain' });
    expect(notJson.status).toBe(415);
    expect(await client.json('GET', '/training/nope?after=-1')).toMatchObject({ status: 400 });
    expect(await client.json('GET', '/training/nope?surprise=1')).toMatchObject({ status: 400 });
    expect(await client.json('POST', '/training/start', { ...good, callback_url: 'ftp://backend/x' })).toMatchObject({ status: 400 });
    expect(host!.runs.health().active).toBe(0);
  });

  it('should refuse a body over the size limit', async () => {
    const { client } = await open();
    const huge = { ...(await spxStartRequest('op-huge')), strategy_yaml: 'x'.repeat(5 * 1024 * 1024) };
    const response = await client.json('POST', '/training/start', huge);
    expect(response).toMatchObject({ status: 413, body: { error: { code: 'PAYLOAD_TOO_LARGE' } } });
  });

  it('should refuse a duplicate id with 409 and a run beyond capacity with 503 HOST_BUSY', async () => {
    const { client } = await open({ concurrency: 1 });
    const long = await spxStartRequest('op-long', {}, longStrategy('host_capacity'));
    expect((await client.start(long)).status).toBe(202);
    expect(await client.json('POST', '/training/start', long)).toMatchObject({ status: 409, body: { error: { code: 'RUN_EXISTS' } } });
    const other = await client.json('POST', '/training/start', await spxStartRequest('op-other'));
    expect(other).toMatchObject({ status: 503, body: { error: { code: 'HOST_BUSY', details: { active: 1, capacity: 1 } } } });
    const health = (await client.json('GET', '/health')).body;
    expect(health).toMatchObject({ busy: true, active: 1, capacity: 1 });
    expect((await client.json('GET', '/training/op-other')).status).toBe(404);
    await client.json('POST', '/training/op-long/cancel');
    await client.waitUntilFinished('op-long');
    expect((await client.start(await spxStartRequest('op-other'))).status).toBe(202);
    expect((await client.waitUntilFinished('op-other')).final.status).toBe('completed');
  });

  it('should cancel a running run within a second', async () => {
    const { client } = await open({ concurrency: 1 });
    await client.start(await spxStartRequest('op-cancel', {}, longStrategy('host_cancel')));
    await waitFor(async () => ((await client.status('op-cancel')).events.some((e) => e.kind === 'metric') ? true : undefined), 'the first epoch');
    const asked = performance.now();
    const response = await client.json('POST', '/training/op-cancel/cancel');
    expect(response).toEqual({ status: 202, body: { operation_id: 'op-cancel', status: 'running' } });
    const final = await waitFor(async () => {
      const body = await client.status('op-cancel', 1_000_000);
      return body.status === 'cancelled' ? body : undefined;
    }, 'cancelled');
    expect(performance.now() - asked).toBeLessThan(1000);
    expect(HostRunStatusSchema.parse(final)).toMatchObject({ status: 'cancelled', result_available: false, error: null });
    // Idempotent once finished.
    expect(await client.json('POST', '/training/op-cancel/cancel')).toEqual({
      status: 202,
      body: { operation_id: 'op-cancel', status: 'cancelled' },
    });
    expect((await client.json('GET', '/health')).body).toMatchObject({ active: 0, busy: false });
  });

  it('should keep a result until DELETE, and refuse DELETE while the run is going', async () => {
    const { client } = await open({ concurrency: 1 });
    await client.start(await spxStartRequest('op-long-del', {}, longStrategy('host_delete_running')));
    expect(await client.json('DELETE', '/training/op-long-del')).toMatchObject({ status: 409, body: { error: { code: 'RUN_ACTIVE' } } });
    await client.json('POST', '/training/op-long-del/cancel');
    await client.waitUntilFinished('op-long-del');
    expect((await client.request('DELETE', '/training/op-long-del')).status).toBe(204);

    await client.start(await spxStartRequest('op-ack'));
    await client.waitUntilFinished('op-ack');
    expect((await client.result('op-ack')).manifest.operation_id).toBe('op-ack');
    const deleted = await client.request('DELETE', '/training/op-ack');
    expect(deleted.status).toBe(204);
    expect(await deleted.text()).toBe('');
    expect((await client.json('GET', '/training/op-ack')).status).toBe(404);
    expect((await client.json('GET', '/training/op-ack/result')).status).toBe(404);
    // The id may be used again once acknowledged.
    expect((await client.start(await spxStartRequest('op-ack'))).status).toBe(202);
    await client.waitUntilFinished('op-ack');
  });

  it('should forget finished runs once the retention time has passed', async () => {
    const { client } = await open({ runs: { retentionMs: 300, sweepIntervalMs: 50 } });
    await client.start(await spxStartRequest('op-expire'));
    await client.waitUntilFinished('op-expire');
    expect((await client.json('GET', '/training/op-expire/result')).status).toBe(200);
    await waitFor(async () => ((await client.json('GET', '/training/op-expire')).status === 404 ? true : undefined), 'the sweep', 5000);
    expect((await client.json('GET', '/training/op-expire/result')).status).toBe(404);
  });

  it('should run without auth only when built without a token', async () => {
    const { url } = await open({ token: null });
    const client = new HostClient(url, undefined);
    expect((await client.json('GET', '/training/none')).status).toBe(404);
  });
});
