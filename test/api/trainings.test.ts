import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HealthSchema } from '../../src/contracts/health.js';
import { ModelDetailSchema, ModelListSchema, PredictResponseSchema } from '../../src/contracts/models.js';
import { CancelResponseSchema, OperationListSchema, OperationMetricsSchema, OperationLogsSchema } from '../../src/contracts/operations.js';
import { StrategyDetailSchema, StrategyListSchema, StrategyValidationSchema } from '../../src/contracts/strategies.js';
import { StartTrainingResponseSchema } from '../../src/contracts/trainings.js';
import { INVALID_STRATEGY, longStrategy, spxStrategy, waitFor } from '../helpers/strategies.js';
import { errorCode, startTestBackend, startTraining, type TestBackend } from '../helpers/test-backend.js';

/** The original service's acceptance scenarios (ke2e T1-T6), against the real backend on a loopback port. */
describe('backend API: trainings and operations', () => {
  let server: TestBackend;

  beforeAll(async () => {
    server = await startTestBackend({
      api_tiny: spxStrategy('api_tiny'),
      api_curve: spxStrategy('api_curve', { epochs: 30, earlyStopping: false }),
      api_long: longStrategy('api_long'),
      api_invalid: INVALID_STRATEGY,
    });
  });
  afterAll(async () => server?.close());

  it('smoke: a started training completes with a model version and the strategy becomes trained', async () => {
    const before = StrategyListSchema.parse((await server.http('GET', '/api/v1/strategies')).body);
    expect(before.data.find((s) => s.name === 'api_tiny')).toMatchObject({ training_status: 'untrained', latest_version: null });

    const started = await server.http('POST', '/api/v1/trainings/start', { json: { strategy_name: 'api_tiny' } });
    expect(started.status).toBe(202);
    const { operation_id: id, status } = StartTrainingResponseSchema.parse(started.body);
    expect(status).toBe('pending');

    const done = await server.waitForStatus(id, ['completed', 'failed', 'cancelled']);
    expect(done.status).toBe('completed');
    expect(done.result?.model_version).toBe(1);
    expect(done.request).toMatchObject({ symbols: ['SPX'], timeframes: ['1d'] });
    const accuracy = (done.result?.test_metrics as { accuracy: number }).accuracy;
    expect(accuracy).toBeGreaterThan(0.2);
    expect(accuracy).toBeLessThan(0.99);

    const after = StrategyListSchema.parse((await server.http('GET', '/api/v1/strategies')).body);
    expect(after.data.find((s) => s.name === 'api_tiny')).toMatchObject({
      training_status: 'trained',
      latest_version: 1,
      test_metrics: { accuracy },
    });
    expect(after.data.find((s) => s.name === 'api_invalid')).toMatchObject({ valid: false, errors: expect.any(Array) });

    const detail = StrategyDetailSchema.parse((await server.http('GET', '/api/v1/strategies/api_tiny')).body);
    expect(detail).toMatchObject({
      name: 'api_tiny',
      training_status: 'trained',
      features: ['1d_rsi_zone_oversold', '1d_rsi_zone_neutral', '1d_rsi_zone_overbought'],
    });

    const models = ModelListSchema.parse((await server.http('GET', '/api/v1/models?strategy=api_tiny')).body);
    expect(models.data).toEqual([expect.objectContaining({ strategy: 'api_tiny', version: 1, operation_id: id })]);
    const model = ModelDetailSchema.parse((await server.http('GET', '/api/v1/models/api_tiny/latest')).body);
    expect(model).toMatchObject({ version: 1, operation_id: id, metrics: { test: { accuracy } } });
    expect(model).not.toHaveProperty('weights');
    expect(model.files.map((f) => f.name)).toEqual(['model.json', 'weights.bin', 'features.json', 'metrics.json', 'strategy.yaml']);

    // The files as stored, for download: `latest` names the version it resolved to.
    const file = await server.http('GET', '/api/v1/models/api_tiny/latest/files/features.json');
    expect(file.status).toBe(200);
    expect(file.headers.get('content-type')).toMatch(/^application\/json/);
    expect(file.headers.get('content-disposition')).toBe('attachment; filename="api_tiny-v1-features.json"');
    expect(JSON.parse(file.text)).toEqual(expect.anything());
    expect(Buffer.byteLength(file.text)).toBe(model.files.find((f) => f.name === 'features.json')!.bytes);
    expect((await server.http('GET', '/api/v1/models/api_tiny/1/files/secret.txt')).body).toMatchObject({ error: { code: 'VALIDATION_FAILED' } });
    expect((await server.http('GET', '/api/v1/models/api_tiny/7/files/model.json')).status).toBe(404);

    const predicted = await server.http('POST', '/api/v1/models/api_tiny/predict', { json: { symbol: 'SPX', timeframe: '1d', last: 5 } });
    expect(predicted.status).toBe(200);
    const predictions = PredictResponseSchema.parse(predicted.body).predictions;
    expect(predictions).toHaveLength(5);
    for (const p of predictions) expect(p.probabilities.BUY + p.probabilities.HOLD + p.probabilities.SELL).toBeCloseTo(1, 5);
  });

  it('progress: increases, ends at 100, and each epoch has exactly one metric record', async () => {
    const id = await startTraining(server, { strategy_name: 'api_curve' });
    const seen: number[] = [];
    const done = await waitFor(async () => {
      const op = await server.operation(id);
      if (op.progress) seen.push(op.progress.percent);
      return ['completed', 'failed'].includes(op.status) ? op : undefined;
    }, 'the curve run');
    expect(done.status).toBe('completed');
    expect(seen.every((p, i) => i === 0 || p >= seen[i - 1])).toBe(true);
    expect(done.progress?.percent).toBe(100);
    expect(done.progress?.step).toBe('package');

    const metrics = OperationMetricsSchema.parse((await server.http('GET', `/api/v1/operations/${id}/metrics`)).body);
    expect(metrics.epochs.map((m) => m.epoch)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    expect(metrics.best_epoch).toBeGreaterThanOrEqual(1);
    const since = OperationMetricsSchema.parse((await server.http('GET', `/api/v1/operations/${id}/metrics?since_epoch=28`)).body);
    expect(since.epochs.map((m) => m.epoch)).toEqual([29, 30]);

    const logs = OperationLogsSchema.parse((await server.http('GET', `/api/v1/operations/${id}/logs?level=info`)).body);
    expect(logs.lines.map((l) => l.msg).filter((m) => m.startsWith('Step '))).toHaveLength(12);
    expect(logs.lines.every((l) => l.level !== 'debug')).toBe(true);
  });

  it('cancellation: a running training is cancelled (no model), and a new one starts right after', async () => {
    const id = await startTraining(server, { strategy_name: 'api_long' });
    await waitFor(async () => {
      const op = await server.operation(id);
      return op.status === 'running' && (op.progress?.epoch ?? 0) >= 2 ? op : undefined;
    }, 'the long run to train');

    const cancel = await server.http('DELETE', `/api/v1/operations/${id}`, { json: { reason: 'acceptance test' } });
    expect(cancel.status).toBe(202);
    expect(CancelResponseSchema.parse(cancel.body)).toEqual({ operation_id: id, status: 'cancelling' });
    const cancelled = await server.waitForStatus(id, ['cancelled', 'completed', 'failed'], 2000);
    expect(cancelled.status).toBe('cancelled');
    expect(cancelled.cancel_requested_at).not.toBeNull();
    const frozen = cancelled.progress?.percent;
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect((await server.operation(id)).progress?.percent).toBe(frozen);
    expect(ModelListSchema.parse((await server.http('GET', '/api/v1/models?strategy=api_long')).body).data).toEqual([]);

    const again = await server.http('DELETE', `/api/v1/operations/${id}`);
    expect(again.status).toBe(409);
    expect(errorCode(again)).toBe('OPERATION_FINISHED');

    const next = await startTraining(server, { strategy_name: 'api_tiny', epochs: 2 });
    expect(next).not.toBe(id);
    expect((await server.waitForStatus(next, ['completed', 'failed'])).status).toBe('completed');
  });

  it('stays responsive: health answers promptly while a run trains (a blocked loop would take seconds)', async () => {
    const id = await startTraining(server, { strategy_name: 'api_long' });
    await waitFor(async () => ((await server.operation(id)).progress?.step === 'train' ? true : undefined), 'training to start');
    const latencies: number[] = [];
    for (let i = 0; i < 20; i++) {
      const health = await server.http('GET', '/api/v1/health');
      expect(health.status).toBe(200);
      latencies.push(health.ms);
    }
    const report = HealthSchema.parse((await server.http('GET', '/api/v1/health')).body);
    expect(report.operations.running).toBe(1);
    expect(report.local).toMatchObject({ running: 1, slots: 2 });
    // The latency target itself lives in `npm run bench:api`; this bound only proves the loop is not blocked.
    expect(Math.max(...latencies)).toBeLessThan(500);
    expect((await server.http('DELETE', `/api/v1/operations/${id}`)).status).toBe(202);
    await server.waitForStatus(id, ['cancelled'], 2000);
  });

  it('operations list: newest first, with filters, totals and cursor pagination', async () => {
    const all = OperationListSchema.parse((await server.http('GET', '/api/v1/operations')).body);
    expect(all.total).toBeGreaterThanOrEqual(5);
    expect(all.data.map((op) => op.created_at)).toEqual([...all.data.map((op) => op.created_at)].sort().reverse());

    const completed = OperationListSchema.parse((await server.http('GET', '/api/v1/operations?status=completed')).body);
    expect(completed.data.length).toBeGreaterThanOrEqual(3);
    expect(completed.data.every((op) => op.status === 'completed')).toBe(true);
    const finished = OperationListSchema.parse((await server.http('GET', '/api/v1/operations?status=completed,cancelled&type=training')).body);
    expect(finished.total).toBe(all.total);

    const long = OperationListSchema.parse((await server.http('GET', '/api/v1/operations?strategy=api_long')).body);
    expect(long.total).toBe(2);
    expect(long.data.every((op) => op.strategy === 'api_long' && op.status === 'cancelled')).toBe(true);

    const pages: string[] = [];
    let cursor: string | null = null;
    do {
      const query: string = cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`;
      const page = OperationListSchema.parse((await server.http('GET', `/api/v1/operations?limit=2${query}`)).body);
      expect(page.data.length).toBeLessThanOrEqual(2);
      expect(page.total).toBe(all.total);
      pages.push(...page.data.map((op) => op.operation_id));
      cursor = page.next_cursor;
    } while (cursor !== null);
    expect(pages).toEqual(all.data.map((op) => op.operation_id));
  });

  it('errors: invalid strategy 422 with every problem, unknown strategy 404 naming where it looked, unknown operation 404', async () => {
    const invalid = await server.http('POST', '/api/v1/trainings/start', { json: { strategy_name: 'api_invalid' } });
    expect(invalid.status).toBe(422);
    expect(errorCode(invalid)).toBe('STRATEGY_INVALID');
    const problems = (invalid.body as { error: { details: { errors: { path: string }[] } } }).error.details.errors;
    expect(problems.length).toBeGreaterThanOrEqual(2);

    const validation = StrategyValidationSchema.parse((await server.http('POST', '/api/v1/strategies/api_invalid/validate')).body);
    expect(validation).toMatchObject({ valid: false });
    expect(validation.errors.length).toBe(problems.length);
    expect(StrategyValidationSchema.parse((await server.http('POST', '/api/v1/strategies/api_tiny/validate')).body).valid).toBe(true);
    expect((await server.http('GET', '/api/v1/strategies/api_invalid')).status).toBe(422);

    const unknown = await server.http('POST', '/api/v1/trainings/start', { json: { strategy_name: 'nonexistent_strategy_xyz' } });
    expect(unknown.status).toBe(404);
    expect(errorCode(unknown)).toBe('STRATEGY_NOT_FOUND');
    expect((unknown.body as { error: { message: string } }).error.message).toContain(server.dirs.strategies);
    expect(unknown.text).not.toMatch(/at .*\.ts:\d+/);

    const missingOp = await server.http('GET', '/api/v1/operations/nonexistent_operation_id_12345');
    expect(missingOp.status).toBe(404);
    expect(errorCode(missingOp)).toBe('OPERATION_NOT_FOUND');
    expect((await server.http('DELETE', '/api/v1/operations/nonexistent_operation_id_12345')).status).toBe(404);
    expect((await server.http('GET', '/api/v1/models/api_long/1')).status).toBe(404);

    const total = OperationListSchema.parse((await server.http('GET', '/api/v1/operations')).body).total;
    const gpu = await server.http('POST', '/api/v1/trainings/start', {
      json: { strategy_name: 'api_tiny', execution_mode: 'host', require_gpu: true },
    });
    expect(gpu.status).toBe(503);
    expect(errorCode(gpu)).toBe('HOST_UNAVAILABLE');
    expect(OperationListSchema.parse((await server.http('GET', '/api/v1/operations')).body).total).toBe(total);

    const fallback = StartTrainingResponseSchema.parse(
      (await server.http('POST', '/api/v1/trainings/start', { json: { strategy_name: 'api_tiny', execution_mode: 'host', epochs: 1 } })).body,
    );
    expect(fallback.execution).toMatchObject({ requested: 'host', selected: 'local', reason: expect.stringMatching(/fell back/) });
    await server.waitForStatus(fallback.operation_id, ['completed']);
  });
});
