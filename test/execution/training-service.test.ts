import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KtrdrError } from '../../src/errors.js';
import { LocalExecutor } from '../../src/execution/local/local-executor.js';
import { newOperationId } from '../../src/trainings/operation-id.js';
import { TrainingService } from '../../src/trainings/training-service.js';
import { FileModelStore } from '../../src/models/model-store.js';
import type { StatusEvent } from '../../src/operations/operation.js';
import { SqliteOperationStore } from '../../src/operations/sqlite/sqlite-operation-store.js';
import { silentLogger } from '../../src/util/logger.js';
import { DATA_DIR, INVALID_STRATEGY, longStrategy, spxStrategy, tempDirs, waitFor, type TempDirs } from '../helpers/strategies.js';

describe(TrainingService.name, () => {
  let dirs: TempDirs;
  let operations: SqliteOperationStore;
  let models: FileModelStore;
  let sut: TrainingService;

  beforeEach(async () => {
    dirs = await tempDirs({ svc_tiny: spxStrategy('svc_tiny'), svc_long: longStrategy('svc_long'), svc_invalid: INVALID_STRATEGY });
    operations = new SqliteOperationStore(join(dirs.home, 'ktrdr.db'));
    models = new FileModelStore(dirs.models);
    sut = new TrainingService({
      operations,
      models,
      executor: new LocalExecutor({ dataDir: DATA_DIR, concurrency: 2 }),
      strategiesDir: dirs.strategies,
      dataDir: DATA_DIR,
      logger: silentLogger(),
    });
  });

  afterEach(async () => {
    await sut.close();
    await operations.close();
    await dirs.remove();
  });

  const statusTrail = async (id: string) => (await operations.eventsSince(id, 0, { kinds: ['status'] })).map((e: StatusEvent) => e.data.to);

  it('should record a completed run with its model version, one metric per epoch and the step logs', async () => {
    const started = await sut.start({ strategyName: 'svc_tiny', seed: 3 });
    expect(started.status).toBe('pending');
    expect(started.execution).toMatchObject({ requested: 'auto', selected: 'local' });
    await sut.whenFinished(started.id);

    const done = await operations.get(started.id);
    expect(done.status).toBe('completed');
    expect(done.result).toMatchObject({ model_version: 1, model_strategy: 'svc_tiny', training_metrics: { epochs_trained: 4 } });
    expect(done.execution.device).toMatch(/cpu/);
    expect(done.progress?.percent).toBe(100);
    expect((await operations.metrics(started.id)).map((m) => m.epoch)).toEqual([1, 2, 3, 4]);
    expect((await operations.logs(started.id)).filter((l) => l.msg.startsWith('Step ')).length).toBe(12);
    expect(await statusTrail(started.id)).toEqual(['pending', 'running', 'completed']);

    const stored = await models.load('svc_tiny');
    expect(stored.version).toBe(1);
    expect(stored.artifact.manifest.operation_id).toBe(started.id);
    expect(stored.artifact.manifest.seed).toBe(3);
    expect(done.request).toMatchObject({ strategy_name: 'svc_tiny', symbols: ['SPX'], timeframes: ['1d'], seed: 3, epochs: 4 });
  });

  it('should end a cancelled run as cancelled (via cancelling) and write no model', async () => {
    const started = await sut.start({ strategyName: 'svc_long' });
    await waitFor(async () => ((await operations.metrics(started.id)).length >= 2 ? true : undefined), 'two epochs');
    const asked = await sut.cancel(started.id, 'test');
    expect(asked.status).toBe('cancelling');
    await sut.whenFinished(started.id);
    expect((await operations.get(started.id)).status).toBe('cancelled');
    expect(await statusTrail(started.id)).toEqual(['pending', 'running', 'cancelling', 'cancelled']);
    expect(await readdir(dirs.models).catch(() => [])).toEqual([]);
    await expect(sut.cancel(started.id)).rejects.toMatchObject({ code: 'OPERATION_FINISHED' });
    await expect(sut.cancel('op_nope')).rejects.toMatchObject({ code: 'OPERATION_NOT_FOUND' });
  });

  it('should record a run that fails inside the pipeline as failed with its error code', async () => {
    // The files exist, so the request is accepted; a month of daily bars is too little after the RSI warm-up.
    const started = await sut.start({ strategyName: 'svc_tiny', startDate: '2019-12-01', endDate: '2019-12-31' });
    await sut.whenFinished(started.id);
    const failed = await operations.get(started.id);
    expect(failed.status).toBe('failed');
    expect(failed.error?.code).toMatch(/^DATA_/);
  });

  it('should refuse bad requests before recording anything', async () => {
    const refusals: [Parameters<TrainingService['start']>[0], string][] = [
      [{ strategyName: 'no_such_strategy' }, 'STRATEGY_NOT_FOUND'],
      [{ strategyName: '../etc/passwd' }, 'INVALID_NAME'],
      [{ strategyName: 'svc_invalid' }, 'STRATEGY_INVALID'],
      [{ strategyName: 'svc_tiny', symbols: ['NOPE'] }, 'DATA_NOT_FOUND'],
      [{ strategyName: 'svc_tiny', requireGpu: true }, 'HOST_UNAVAILABLE'],
    ];
    for (const [params, code] of refusals) {
      await expect(sut.start(params)).rejects.toSatisfy((e) => e instanceof KtrdrError && e.code === code);
    }
    expect((await operations.list()).total).toBe(0);
  });

  it('should record a host request without hosts as a local run with the fallback reason', async () => {
    const started = await sut.start({ strategyName: 'svc_tiny', executionMode: 'host' });
    expect(started.execution).toMatchObject({ requested: 'host', selected: 'local', reason: expect.stringMatching(/fell back/) });
    await sut.whenFinished(started.id);
  });

  it('should fail what a previous process left unfinished as INTERRUPTED', async () => {
    const left = await operations.create({
      type: 'training',
      strategy: 'svc_tiny',
      request: {},
      execution: { requested: 'auto', selected: 'local', reason: null },
    });
    await operations.markRunning(left.id);
    const failed = await sut.failInterrupted();
    expect(failed.map((op) => op.id)).toEqual([left.id]);
    expect((await operations.get(left.id)).error?.code).toBe('INTERRUPTED');
  });
});

describe(newOperationId.name, () => {
  it('should be readable, time-sortable and unique', () => {
    const id = newOperationId(new Date('2025-01-17T12:00:00.123Z'));
    expect(id).toMatch(/^op_training_20250117_120000_[0-9a-f]{8}$/);
    expect(newOperationId(new Date())).not.toBe(newOperationId(new Date()));
  });
});
