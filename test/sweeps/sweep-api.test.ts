import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OperationListSchema } from '../../src/contracts/operations.js';
import { StrategyListSchema } from '../../src/contracts/strategies.js';
import { StartSweepResponseSchema, SweepSchema, type SweepResponse } from '../../src/contracts/sweeps.js';
import { longStrategy, spxStrategy, waitFor } from '../helpers/strategies.js';
import { errorCode, startTestBackend, type TestBackend } from '../helpers/test-backend.js';

/** Sweeps against the real backend (SQLite, worker threads, Fastify) on a loopback port, with tiny trainings. */
describe('sweeps API', () => {
  let server: TestBackend;

  beforeAll(async () => {
    server = await startTestBackend(
      { sweep_tiny: spxStrategy('sweep_tiny', { epochs: 2 }), sweep_long: longStrategy('sweep_long') },
      { concurrency: 2 },
    );
  });
  afterAll(async () => server?.close());

  const sweep = async (id: string): Promise<SweepResponse> => SweepSchema.parse((await server.http('GET', `/api/v1/sweeps/${id}`)).body);

  it('should finish a 3×2×5 sweep with every configuration ranked by mean validation loss across seeds', async () => {
    const started = await server.http('POST', '/api/v1/sweeps', {
      json: {
        strategy_name: 'sweep_tiny',
        params: { 'training.learning_rate': [0.001, 0.003, 0.01], 'model.hidden_layers': [[4], [6, 4]] },
        seeds: [1, 2, 3, 4, 5],
        objective: 'val_loss',
        max_parallel: 2,
      },
    });
    expect(started.status).toBe(202);
    const { operation_id: id, trainings } = StartSweepResponseSchema.parse(started.body);
    expect(trainings).toBe(30);

    const done = await server.waitForStatus(id, ['completed', 'failed', 'cancelled'], 240_000);
    expect(done).toMatchObject({ type: 'sweep', status: 'completed', progress: { percent: 100 } });

    const report = await sweep(id);
    expect(report).toMatchObject({ status: 'completed', objective: 'val_loss', direction: 'min', total: 30, finished: 30 });
    expect(report.configurations).toHaveLength(6);
    const means = report.configurations.map((c) => c.mean!);
    expect(report.configurations.map((c) => c.rank)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(means).toEqual([...means].sort((a, b) => a - b));
    for (const row of report.configurations) {
      expect(row.completed).toBe(5);
      expect(row.trials.map((t) => t.seed)).toEqual([1, 2, 3, 4, 5]);
      const values = row.trials.map((t) => t.value!);
      const mean = values.reduce((s, v) => s + v, 0) / 5;
      expect(row.mean).toBeCloseTo(mean, 12);
      expect(row.std).toBeCloseTo(Math.sqrt(values.reduce((s, v) => s + (v - mean) ** 2, 0) / 4), 12);
    }
    expect(report.best?.configuration_id).toBe(report.configurations[0].configuration_id);

    // Each trial is an ordinary training of its own configuration, with its own model version and the sweep as parent.
    const best = report.configurations[0];
    const child = await server.operation(best.trials[0].operation_id!);
    expect(child).toMatchObject({ type: 'training', status: 'completed', parent_id: id, request: { params: best.params, seed: 1 } });
    const versions = report.configurations.flatMap((c) => c.trials.map((t) => t.model_version));
    expect(new Set(versions).size).toBe(30);

    const strategies = StrategyListSchema.parse((await server.http('GET', '/api/v1/strategies')).body);
    expect(strategies.data.find((s) => s.name === 'sweep_tiny')?.best_sweep).toMatchObject({
      sweep_id: id,
      objective: 'val_loss',
      params: best.params,
      value: best.mean,
      seeds: 5,
    });
  }, 300_000);

  it('should rank by validation accuracy, highest first, and by validation Sharpe', async () => {
    for (const objective of ['val_accuracy', 'val_sharpe'] as const) {
      const started = await server.http('POST', '/api/v1/sweeps', {
        json: { strategy_name: 'sweep_tiny', params: { 'training.learning_rate': [0.001, 0.02] }, seeds: [1, 2], objective },
      });
      const { operation_id: id } = StartSweepResponseSchema.parse(started.body);
      await server.waitForStatus(id, ['completed'], 120_000);
      const report = await sweep(id);
      expect(report.direction).toBe('max');
      const [first, second] = report.configurations;
      expect(first.completed + second.completed).toBeGreaterThan(0);
      if (first.mean !== null && second.mean !== null) expect(first.mean).toBeGreaterThanOrEqual(second.mean);
      for (const trial of report.configurations.flatMap((c) => c.trials)) {
        const child = await server.operation(trial.operation_id!);
        if (objective === 'val_accuracy') {
          const metrics = (await server.http('GET', `/api/v1/operations/${child.operation_id}/metrics`)).body as {
            epochs: { epoch: number; val_accuracy: number }[];
          };
          const bestEpoch = (child.result?.training_metrics as { best_epoch: number }).best_epoch;
          expect(trial.value).toBe(metrics.epochs.find((e) => e.epoch === bestEpoch)?.val_accuracy);
        } else {
          // Ranked on the validation period's backtest, which the training reports apart from its test period.
          const validation = child.result?.validation_period as { sharpe: number | null } | null;
          expect(validation).not.toBeNull();
          expect(validation).not.toEqual(child.result?.test_period);
          expect(trial.value).toBe(validation!.sharpe);
        }
      }
    }
  }, 300_000);

  it('should refuse an invalid value, an unknown path, an empty grid and too many trials with clear codes, and start nothing', async () => {
    const before = OperationListSchema.parse((await server.http('GET', '/api/v1/operations?limit=500')).body).total;
    const refused = await server.http('POST', '/api/v1/sweeps', {
      json: { strategy_name: 'sweep_tiny', params: { 'training.learning_rate': [0.001, -1], 'model.hidden_layers': [[4]] }, seeds: [1, 2] },
    });
    expect(refused.status).toBe(422);
    expect(errorCode(refused)).toBe('STRATEGY_INVALID');
    expect((refused.body as { error: { message: string } }).error.message).toContain('training.learning_rate=-1');

    const unknownPath = await server.http('POST', '/api/v1/sweeps', {
      json: { strategy_name: 'sweep_tiny', params: { 'training.no_such_setting': [1] } },
    });
    expect(errorCode(unknownPath)).toBe('STRATEGY_INVALID');
    expect((unknownPath.body as { error: { message: string } }).error.message).toContain('training.no_such_setting=1');

    const badPath = await server.http('POST', '/api/v1/sweeps', { json: { strategy_name: 'sweep_tiny', params: { 'Training..rate': [1] } } });
    expect(badPath.status).toBe(400);
    expect(errorCode(badPath)).toBe('VALIDATION_FAILED');

    // An empty grid: no parameter at all, or a parameter without values.
    const noParams = await server.http('POST', '/api/v1/sweeps', { json: { strategy_name: 'sweep_tiny', params: {} } });
    expect(noParams.status).toBe(400);
    expect(errorCode(noParams)).toBe('VALIDATION_FAILED');
    expect((noParams.body as { error: { message: string } }).error.message).toContain('at least one parameter');
    const noValues = await server.http('POST', '/api/v1/sweeps', { json: { strategy_name: 'sweep_tiny', params: { 'training.learning_rate': [] } } });
    expect(noValues.status).toBe(400);
    expect(errorCode(noValues)).toBe('VALIDATION_FAILED');

    // Too many trials: a grid past the limit, and a grid within it times too many seeds.
    const values = Array.from({ length: 101 }, (_, i) => 0.001 * (i + 1));
    const bigGrid = await server.http('POST', '/api/v1/sweeps', {
      json: { strategy_name: 'sweep_tiny', params: { 'training.learning_rate': values, 'training.batch_size': values.map((_, i) => i + 1) } },
    });
    expect(bigGrid.status).toBe(400);
    expect(errorCode(bigGrid)).toBe('VALIDATION_FAILED');
    expect((bigGrid.body as { error: { message: string } }).error.message).toBe('the grid has 10201 configurations; at most 10000');
    const manySeeds = await server.http('POST', '/api/v1/sweeps', {
      json: { strategy_name: 'sweep_tiny', params: { 'training.learning_rate': values }, seeds: Array.from({ length: 100 }, (_, i) => i) },
    });
    expect(manySeeds.status).toBe(400);
    expect(errorCode(manySeeds)).toBe('VALIDATION_FAILED');
    expect((manySeeds.body as { error: { message: string } }).error.message).toContain('10100 trainings (101 configurations × 100 seeds)');

    const after = OperationListSchema.parse((await server.http('GET', '/api/v1/operations?limit=500')).body).total;
    expect(after).toBe(before);
  });

  it('should cancel queued and running children when the sweep is cancelled', async () => {
    const started = await server.http('POST', '/api/v1/sweeps', {
      json: { strategy_name: 'sweep_long', params: { 'training.learning_rate': [0.001, 0.002, 0.003] }, seeds: [1, 2], max_parallel: 2 },
    });
    const { operation_id: id } = StartSweepResponseSchema.parse(started.body);
    const running = await waitFor(async () => {
      const report = await sweep(id);
      const trials = report.configurations.flatMap((c) => c.trials).filter((t) => t.status === 'running');
      return trials.length === 2 ? trials : undefined;
    }, 'two running children');

    const cancel = await server.http('DELETE', `/api/v1/operations/${id}`, { json: { reason: 'enough' } });
    expect(cancel.status).toBe(202);
    const ended = await server.waitForStatus(id, ['cancelled', 'completed', 'failed']);
    expect(ended.status).toBe('cancelled');

    for (const trial of running) expect((await server.operation(trial.operation_id!)).status).toBe('cancelled');
    const report = await sweep(id);
    const trials = report.configurations.flatMap((c) => c.trials);
    // Nothing started after the cancel: the four waiting trials never became trainings.
    expect(trials.filter((t) => t.operation_id === null)).toHaveLength(4);
    expect(trials.filter((t) => t.operation_id !== null).every((t) => t.status === 'cancelled')).toBe(true);
  });
});
