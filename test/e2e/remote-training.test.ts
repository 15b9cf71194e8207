import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ModelListSchema, PredictResponseSchema } from '../../src/contracts/models.js';
import { OperationLogsSchema, OperationMetricsSchema, type OperationResponse } from '../../src/contracts/operations.js';
import { StrategyListSchema } from '../../src/contracts/strategies.js';
import { StartTrainingResponseSchema } from '../../src/contracts/trainings.js';
import { memoryLogger, startTestBackend, startTraining, type TestBackend } from '../helpers/test-backend.js';
import { HOST_TOKEN, startHostProcess, type HostProcess } from '../helpers/host-process.js';
import { longStrategy, spxStrategy, waitFor } from '../helpers/strategies.js';

const TERMINAL = ['completed', 'failed', 'cancelled'];

/** Info lines as a user reads them (the pipeline writes no timings at info, so they must match exactly). */
async function infoLines(server: TestBackend, id: string): Promise<string[]> {
  return OperationLogsSchema.parse((await server.http('GET', `/api/v1/operations/${id}/logs?level=info`)).body).lines.map((l) => l.msg);
}

async function weightsSha(server: TestBackend, strategy: string, version: number): Promise<string> {
  return createHash('sha256')
    .update(await readFile(join(server.dirs.models, strategy, `v${version}`, 'weights.bin')))
    .digest('hex');
}

/**
 * Remote training against real `ktrdr host` processes: the backend here listens on a loopback port (it is the
 * full backend, built by `createBackend`), hosts are child processes. Runs that need the backend itself to be a
 * process (kill and restart) are in `remote-restart.test.ts`.
 */
describe('training on a host, end to end', () => {
  let host: HostProcess;
  let server: TestBackend;
  let emptyData: string;
  const log = memoryLogger();

  beforeAll(async () => {
    // An empty data directory: the host must download every series from the backend (token, gzip, sha256).
    emptyData = await mkdtemp(join(tmpdir(), 'ktrdr-hostdata-'));
    host = await startHostProcess({ dataDir: emptyData, concurrency: 2 });
    server = await startTestBackend(
      { eq_tiny: spxStrategy('eq_tiny', { epochs: 6 }), rt_long: longStrategy('rt_long') },
      { hosts: { hosts: [host.url], token: HOST_TOKEN }, logger: log.logger },
    );
  });
  afterAll(async () => {
    await server?.close();
    await host?.kill();
    await rm(emptyData, { recursive: true, force: true });
  });

  it('should train the same weights and log the same lines on a host as locally, and leave a usable model', async () => {
    const local = await startTraining(server, { strategy_name: 'eq_tiny', seed: 5, execution_mode: 'local' });
    const localDone = await server.waitForStatus(local, TERMINAL);
    expect(localDone).toMatchObject({ status: 'completed', execution: { requested: 'local', selected: 'local' } });

    const started = await server.http('POST', '/api/v1/trainings/start', { json: { strategy_name: 'eq_tiny', seed: 5, execution_mode: 'host' } });
    expect(started.status).toBe(202);
    const remote = StartTrainingResponseSchema.parse(started.body);
    expect(remote.execution).toMatchObject({
      requested: 'host',
      selected: 'host',
      host: host.url,
      reason: expect.stringMatching(/^host requested: /),
    });
    const remoteDone = await server.waitForStatus(remote.operation_id, TERMINAL);
    expect(remoteDone).toMatchObject({
      status: 'completed',
      result: { model_version: 2 },
      execution: { selected: 'host', host: host.url, device: expect.stringMatching(/cpu/) },
    });

    expect(await weightsSha(server, 'eq_tiny', 2)).toBe(await weightsSha(server, 'eq_tiny', 1));
    const localLines = await infoLines(server, local);
    const remoteLines = await infoLines(server, remote.operation_id);
    expect(remoteLines).toEqual(localLines);
    expect(remoteLines.filter((line) => line.startsWith('Step '))).toHaveLength(12);
    const metrics = OperationMetricsSchema.parse((await server.http('GET', `/api/v1/operations/${remote.operation_id}/metrics`)).body);
    const localMetrics = OperationMetricsSchema.parse((await server.http('GET', `/api/v1/operations/${local}/metrics`)).body);
    const numbers = (m: typeof metrics) => m.epochs.map(({ duration_ms: _ignored, ...rest }) => rest);
    expect(numbers(metrics)).toEqual(numbers(localMetrics));
    expect(remoteDone.progress?.percent).toBe(100);
    // The host pushed the artifact (the fast path); nothing had to be pulled.
    expect(log.messages()).toContain(`result of ${remote.operation_id} received from ${host.url} by push`);

    const strategies = StrategyListSchema.parse((await server.http('GET', '/api/v1/strategies')).body);
    expect(strategies.data.find((s) => s.name === 'eq_tiny')).toMatchObject({ training_status: 'trained', latest_version: 2 });
    const models = ModelListSchema.parse((await server.http('GET', '/api/v1/models?strategy=eq_tiny')).body);
    expect(models.data.find((m) => m.version === 2)).toMatchObject({ operation_id: remote.operation_id });
    const predicted = await server.http('POST', '/api/v1/models/eq_tiny/predict', { json: { symbol: 'SPX', last: 3, version: 2 } });
    expect(predicted.status).toBe(200);
    expect(PredictResponseSchema.parse(predicted.body).predictions).toHaveLength(3);

    // Acknowledged: the host has forgotten the run once the model was stored.
    await waitFor(
      async () =>
        (await fetch(`${host.url}/training/${remote.operation_id}`, { headers: { authorization: `Bearer ${HOST_TOKEN}` } })).status === 404
          ? true
          : undefined,
      'the acknowledgement',
    );
  });

  it('should cancel a host run within a second of the request', async () => {
    const id = await startTraining(server, { strategy_name: 'rt_long', execution_mode: 'host' });
    await waitFor(async () => ((await server.operation(id)).progress?.epoch ?? 0) >= 2 || undefined, 'two epochs on the host');
    const asked = performance.now();
    const cancel = await server.http('DELETE', `/api/v1/operations/${id}`);
    expect(cancel.status).toBe(202);
    const done: OperationResponse = await server.waitForStatus(id, TERMINAL);
    const tookMs = performance.now() - asked;
    expect(done.status).toBe('cancelled');
    expect(tookMs).toBeLessThan(1000);
  });
});
