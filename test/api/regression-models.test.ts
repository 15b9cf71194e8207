import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StartBacktestResponseSchema } from '../../src/contracts/backtests.js';
import { PredictResponseSchema } from '../../src/contracts/models.js';
import { spxStrategy } from '../helpers/strategies.js';
import { startTestBackend, startTraining, type TestBackend } from '../helpers/test-backend.js';

/** A forward-return regressor on the SPX fixture: one output, mse, a 10 bp edge threshold. */
const REGRESSION = spxStrategy('reg_tiny')
  .replace('output_format: classification', 'output_format: regression\n  cost_model: {round_trip_cost: 0.0005, min_edge_multiplier: 2}')
  .replace('labels: {source: zigzag, zigzag_threshold: 0.03, price: close}', 'labels: {source: forward_return, horizon: 5}\n  loss: mse');

describe('backend API: regression models', () => {
  let server: TestBackend;

  beforeAll(async () => {
    server = await startTestBackend({ reg_tiny: REGRESSION });
    const training = await startTraining(server, { strategy_name: 'reg_tiny' });
    const done = await server.waitForStatus(training, ['completed', 'failed', 'cancelled']);
    expect(done.status, JSON.stringify(done.error)).toBe('completed');
    // The operation's summary carries the regression figures and the directional accuracy as `accuracy`.
    expect(done.result?.test_metrics).toMatchObject({ mse: expect.any(Number), r2: expect.any(Number), accuracy: expect.any(Number) });
  });
  afterAll(async () => server?.close());

  it('shows the model with its regression report, lists it, predicts returns and backtests it', async () => {
    const shown = await server.http('GET', '/api/v1/models/reg_tiny/1');
    expect(shown.status, shown.text).toBe(200);
    expect(shown.body).toMatchObject({
      labels: { source: 'forward_return', classes: [] },
      metrics: { test: { output: 'regression', baseline: { predictor: 'zero_return' } } },
    });
    const listed = await server.http('GET', '/api/v1/models');
    expect(listed.status, listed.text).toBe(200);
    expect(listed.text).toContain('reg_tiny');

    const predicted = await server.http('POST', '/api/v1/models/reg_tiny/predict', { json: { symbol: 'SPX', last: 5 } });
    expect(predicted.status, predicted.text).toBe(200);
    const { predictions } = PredictResponseSchema.parse(predicted.body);
    expect(predictions).toHaveLength(5);
    for (const p of predictions) {
      expect(p.predicted_return).toEqual(expect.any(Number));
      expect(['BUY', 'HOLD', 'SELL']).toContain(p.signal);
    }

    const backtest = await server.http('POST', '/api/v1/backtests', { json: { strategy_name: 'reg_tiny', start_date: '2018-01-01' } });
    expect(backtest.status, backtest.text).toBe(202);
    const done = await server.waitForStatus(StartBacktestResponseSchema.parse(backtest.body).operation_id, ['completed', 'failed', 'cancelled']);
    expect(done.status, JSON.stringify(done.error)).toBe('completed');
  });
});
