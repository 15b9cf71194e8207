import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StartWalkForwardResponseSchema, WalkForwardSchema } from '../../src/contracts/walkforwards.js';
import { parseRangeBound } from '../../src/data/timestamp.js';
import { spxStrategy } from '../helpers/strategies.js';
import { errorCode, startTestBackend, type TestBackend } from '../helpers/test-backend.js';

/** Walk-forward over the bundled SPX daily data, against the real backend on a loopback port. */
describe('walk-forward API', () => {
  let server: TestBackend;

  beforeAll(async () => {
    server = await startTestBackend({ wf_tiny: spxStrategy('wf_tiny', { epochs: 2 }) }, { concurrency: 2 });
  });
  afterAll(async () => server?.close());

  it('should train each rolling window, trade the next period out of sample and stitch one continuous curve', async () => {
    const started = await server.http('POST', '/api/v1/walkforwards', {
      json: { strategy_name: 'wf_tiny', train: '3y', test: '1y', start_date: '2010-01-01', end_date: '2019-12-31' },
    });
    expect(started.status).toBe(202);
    const { operation_id: id, windows: count } = StartWalkForwardResponseSchema.parse(started.body);
    expect(count).toBe(7);

    await server.waitForStatus(id, ['completed', 'failed', 'cancelled'], 180_000);
    const report = WalkForwardSchema.parse((await server.http('GET', `/api/v1/walkforwards/${id}`)).body);
    expect(report).toMatchObject({ status: 'completed', symbol: 'SPX', train: '3y', test: '1y', step: '1y' });
    expect(report.windows.map((w) => w.test_start)).toEqual([2013, 2014, 2015, 2016, 2017, 2018, 2019].map((y) => `${y}-01-01T00:00:00Z`));

    let offset = 0;
    const equity = report.equity!;
    const ms = (text: string) => parseRangeBound(text, 'start');
    for (const window of report.windows) {
      expect(window.status).toBe('completed');
      expect(window.error).toBeNull();
      // The window's training saw nothing of the period it is tested on.
      expect(ms(window.train_end)).toBeLessThan(ms(window.test_start));
      const training = await server.operation(window.operation_id!);
      expect(training).toMatchObject({ parent_id: id, request: { start_date: window.train_start, end_date: window.train_end } });
      expect(ms(training.request.end_date as string)).toBeLessThan(ms(window.test_start));
      expect(window.model_version).toBe(training.result?.model_version);

      const bars = window.bars!;
      const slice = equity.timestamps.slice(offset, offset + bars).map(ms);
      expect(slice[0]).toBeGreaterThanOrEqual(ms(window.test_start));
      expect(slice[bars - 1]).toBeLessThanOrEqual(ms(window.test_end));
      // Continuity: each window starts from the previous window's end equity.
      expect(equity.equity[offset]).toBe(offset === 0 ? 1 : equity.equity[offset - 1]);
      expect(equity.equity[offset + bars - 1] / equity.equity[offset] - 1).toBeCloseTo(window.total_return!, 12);
      offset += bars;
    }
    expect(offset).toBe(equity.timestamps.length);
    const times = equity.timestamps.map(ms);
    expect(times.every((t, i) => i === 0 || t > times[i - 1])).toBe(true);

    const compounded = report.windows.reduce((growth, w) => growth * (1 + w.total_return!), 1) - 1;
    expect(report.metrics!.total_return).toBeCloseTo(compounded, 10);
    expect(report.metrics!.total_return).toBeCloseTo(equity.equity[equity.equity.length - 1] - 1, 12);
    expect(report.metrics!.trades).toBe(report.windows.reduce((sum, w) => sum + w.trades!, 0));
    expect(report.benchmark!.total_return).toBeCloseTo(equity.benchmark[equity.benchmark.length - 1] - 1, 12);
  }, 240_000);

  it('should refuse a range too short for one window and a malformed duration', async () => {
    const short = await server.http('POST', '/api/v1/walkforwards', {
      json: { strategy_name: 'wf_tiny', train: '10y', test: '1y', start_date: '2015-01-01', end_date: '2019-12-31' },
    });
    expect(short.status).toBe(400);
    expect(errorCode(short)).toBe('VALIDATION_FAILED');
    const malformed = await server.http('POST', '/api/v1/walkforwards', { json: { strategy_name: 'wf_tiny', train: '3 years', test: '1y' } });
    expect(errorCode(malformed)).toBe('VALIDATION_FAILED');
  });
});
