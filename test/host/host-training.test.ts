import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MarketDataRepository } from '../../src/data/repository.js';
import { availableBackends } from '../../src/nn/backend-registry.js';
import { sha256Hex } from '../../src/training/artifact.js';
import { applyOverrides } from '../../src/training/overrides.js';
import { runTraining } from '../../src/training/pipeline.js';
import { TRAINING_STEPS, stepLine } from '../../src/training/steps.js';
import { createRecordingLogger, type LogRecord } from '../../src/util/logger.js';
import { DATA_DIR, spxStrategy } from '../helpers/strategies.js';
import { sha256File, SPX_CSV, spxStartRequest, startTestHost, type TestHost } from '../helpers/host-harness.js';

describe('training on a host', () => {
  let host: TestHost;
  beforeAll(async () => {
    host = await startTestHost();
  });
  afterAll(async () => {
    await host.close();
  });

  it('should run the same pipeline as local execution: same step lines, same weights', async () => {
    const strategy = spxStrategy('host_equivalence');
    const request = await spxStartRequest('op-equal', {}, strategy);
    const started = await host.client.start(request);
    expect(started).toEqual({ status: 202, body: { operation_id: 'op-equal', status: 'queued' } });

    const { final, events } = await host.client.waitUntilFinished('op-equal');
    const health = (await host.client.json<{ device: { name: string } }>('GET', '/health')).body;
    expect(final).toMatchObject({ status: 'completed', device: health.device.name, error: null, result_available: true, result_pushed: null });

    // Events: started first, step lines in order, one metric per epoch, seqs increasing.
    expect(events[0]).toMatchObject({ kind: 'started', data: { device: health.device.name } });
    const seqs = events.map((e) => e.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    const logs = events.filter((e) => e.kind === 'log').map((e) => e.data as unknown as LogRecord);
    const stepLines = logs.map((l) => l.msg).filter((msg) => msg.startsWith('Step '));
    expect(stepLines).toEqual(TRAINING_STEPS.map((s) => stepLine(s.key)));
    expect(stepLines[0]).toBe('Step 1/12: Validating strategy');
    expect(stepLines[11]).toBe('Step 12/12: Packaging model artifact');
    const metrics = events.filter((e) => e.kind === 'metric').map((e) => e.data.epoch);
    expect(metrics).toEqual([1, 2, 3, 4]);
    expect(events.filter((e) => e.kind === 'progress').length).toBeGreaterThanOrEqual(1);

    const artifact = await host.client.result('op-equal');
    expect(sha256Hex(artifact.weights)).toBe(artifact.manifest.weights_sha256);
    expect(artifact.manifest.execution).toEqual({ mode: 'host', device: health.device.name, host: 'test-host' });
    expect(artifact.manifest.operation_id).toBe('op-equal');
    expect(artifact.manifest.data).toEqual([expect.objectContaining({ symbol: 'SPX', timeframe: '1d', sha256: await sha256File(SPX_CSV) })]);

    // The equivalence guarantee: the pipeline in-process on the same data gives the same weights and info lines.
    const localLogs: LogRecord[] = [];
    const local = await runTraining(
      { strategyYaml: applyOverrides(strategy, { seed: 11 }), strategySource: 'op-equal.yaml' },
      {
        logger: createRecordingLogger((record) => localLogs.push(record), 'info'),
        onProgress: () => {},
        signal: new AbortController().signal,
        data: new MarketDataRepository(DATA_DIR),
        execution: { mode: 'local', device: 'reference' },
        operationId: 'op-equal',
      },
    );
    expect(artifact.manifest.weights_sha256).toBe(local.artifact.manifest.weights_sha256);
    expect(logs.filter((l) => l.level === 'info').map((l) => l.msg)).toEqual(localLogs.filter((l) => l.level === 'info').map((l) => l.msg));
    const { execution: _hostExecution, created_at: _hostCreated, durations_ms: _hostDurations, ...hostManifest } = artifact.manifest;
    const { execution: _localExecution, created_at: _localCreated, durations_ms: _localDurations, ...localManifest } = local.artifact.manifest;
    expect(hostManifest).toEqual(localManifest);
  });

  for (const backend of availableBackends()) {
    it(`should give the weights of local execution on the ${backend} backend`, async () => {
      const strategy = spxStrategy(`host_equivalence_${backend.replace('-', '_')}`, { backend });
      const operationId = `op-equal-${backend}`;
      await host.client.start(await spxStartRequest(operationId, {}, strategy));
      expect((await host.client.waitUntilFinished(operationId)).final.status).toBe('completed');
      const artifact = await host.client.result(operationId);
      const local = await runTraining(
        { strategyYaml: applyOverrides(strategy, { seed: 11 }), strategySource: `${operationId}.yaml` },
        {
          logger: createRecordingLogger(() => {}, 'info'),
          onProgress: () => {},
          signal: new AbortController().signal,
          data: new MarketDataRepository(DATA_DIR),
          execution: { mode: 'local', device: 'reference' },
        },
      );
      expect(artifact.manifest.training_backend).toBe(backend);
      expect(local.artifact.manifest.training_backend).toBe(backend);
      expect(artifact.manifest.weights_sha256).toBe(local.artifact.manifest.weights_sha256);
    });
  }

  it('should page events with the cursor and never repeat one', async () => {
    await host.client.start(await spxStartRequest('op-paged'));
    await host.client.waitUntilFinished('op-paged');
    const all = (await host.client.status('op-paged')).events;
    const paged: number[] = [];
    let cursor = 0;
    for (;;) {
      const { status, body } = await host.client.json<{ events: { seq: number }[]; next_cursor: number }>(
        'GET',
        `/training/op-paged?after=${cursor}&limit=3`,
      );
      expect(status).toBe(200);
      if (body.events.length === 0) break;
      expect(body.events.length).toBeLessThanOrEqual(3);
      paged.push(...body.events.map((e) => e.seq));
      cursor = body.next_cursor;
    }
    expect(paged).toEqual(all.map((e) => e.seq));
    expect((await host.client.status('op-paged', cursor)).next_cursor).toBe(cursor);
  });

  it('should fail a run with the pipeline error code, visible in its status', async () => {
    await host.client.start(await spxStartRequest('op-badyaml', {}, 'name: x\nnot: [valid'));
    const { final } = await host.client.waitUntilFinished('op-badyaml');
    expect(final).toMatchObject({ status: 'failed', result_available: false, error: { code: 'STRATEGY_INVALID' } });
    const result = await host.client.json('GET', '/training/op-badyaml/result');
    expect(result.status).toBe(409);
    expect(result.body).toMatchObject({ error: { code: 'RESULT_NOT_READY' } });
  });

  it('should never read data the run did not ask for', async () => {
    // The strategy wants EURUSD too, but only SPX was listed: the run directory has SPX alone.
    const request = await spxStartRequest('op-unlisted', {}, applyOverrides(spxStrategy('host_op_unlisted'), { symbols: ['SPX', 'EURUSD'] }));
    await host.client.start(request);
    const { final } = await host.client.waitUntilFinished('op-unlisted');
    expect(final).toMatchObject({ status: 'failed', error: { code: 'DATA_NOT_FOUND' } });
  });
});
