import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { benchmarkToWire, metricsToWire, settingsToWire } from '../../src/backtest/json.js';
import {
  BacktestEquitySchema,
  BacktestSummarySchema,
  BacktestTradesSchema,
  StartBacktestResponseSchema,
  type StartBacktestRequest,
} from '../../src/contracts/backtests.js';
import { OperationListSchema, OperationLogsSchema } from '../../src/contracts/operations.js';
import { MarketDataRepository } from '../../src/data/repository.js';
import { backtestModel } from '../../src/models/model-backtest.js';
import { FileModelStore } from '../../src/models/model-store.js';
import { SqliteOperationStore } from '../../src/operations/sqlite/sqlite-operation-store.js';
import { DATA_DIR, spxStrategy } from '../helpers/strategies.js';
import { errorCode, startTestBackend, startTraining, type TestBackend } from '../helpers/test-backend.js';

/** JSON as the wire carries it: NaN and infinities become null. */
const wire = (value: unknown): unknown => JSON.parse(JSON.stringify(value));

describe('backend API: backtests as operations', () => {
  let server: TestBackend;

  async function startBacktest(body: Partial<StartBacktestRequest> & Record<string, unknown>): Promise<string> {
    const result = await server.http('POST', '/api/v1/backtests', { json: { strategy_name: 'bt_tiny', ...body } });
    expect(result.status, result.text).toBe(202);
    const started = StartBacktestResponseSchema.parse(result.body);
    expect(['pending', 'running']).toContain(started.status);
    return started.operation_id;
  }

  async function backtestCount(): Promise<number> {
    return OperationListSchema.parse((await server.http('GET', '/api/v1/operations?type=backtest')).body).total;
  }

  beforeAll(async () => {
    server = await startTestBackend({ bt_tiny: spxStrategy('bt_tiny') });
    const training = await startTraining(server, { strategy_name: 'bt_tiny' });
    expect((await server.waitForStatus(training, ['completed', 'failed', 'cancelled'])).status).toBe('completed');
  });
  afterAll(async () => server?.close());

  it('runs in a worker and gives the same figures as backtestModel in-process, with progress and step logs', async () => {
    const id = await startBacktest({ start_date: '2015-01-01', end_date: '2019-12-31', mode: 'long_short', fee_bps: 5, slippage_bps: 2 });
    const done = await server.waitForStatus(id, ['completed', 'failed', 'cancelled']);
    expect(done.status, JSON.stringify(done.error)).toBe('completed');
    expect(done).toMatchObject({ type: 'backtest', strategy: 'bt_tiny', execution: { selected: 'local', device: 'cpu' } });
    expect(done.progress).toMatchObject({ percent: 100, step: 'package' });

    const reference = await backtestModel(new FileModelStore(server.dirs.models), new MarketDataRepository(DATA_DIR), {
      strategy: 'bt_tiny',
      symbol: 'SPX',
      start: '2015-01-01',
      end: '2019-12-31',
      settings: { mode: 'longShort', feeBps: 5, slippageBps: 2 },
    });
    const summary = BacktestSummarySchema.parse((await server.http('GET', `/api/v1/backtests/${id}`)).body);
    expect(summary).toMatchObject({ operation_id: id, status: 'completed', strategy: 'bt_tiny', version: 1, symbol: 'SPX', timeframe: '1d' });
    expect(summary.bars).toBe(reference.bars.timestamps.length);
    expect(summary.trades).toBe(reference.result.trades.length);
    expect(summary.metrics).toEqual(wire(metricsToWire(reference.result.metrics)));
    expect(summary.benchmark).toEqual(wire(benchmarkToWire(reference.result.benchmark)));
    expect(summary.settings).toEqual(wire(settingsToWire(reference.result.settings)));
    expect(done.result).toMatchObject({ model_version: null, version: 1, trades: summary.trades, first_bar: summary.first_bar });

    const logs = OperationLogsSchema.parse((await server.http('GET', `/api/v1/operations/${id}/logs`)).body);
    const messages = logs.lines.map((line) => line.msg);
    expect(messages.filter((msg) => /^Step \d\/4: /.test(msg))).toHaveLength(4);
    expect(messages.some((msg) => msg.includes('buy and hold'))).toBe(true);

    const events = await server.http('GET', `/api/v1/operations/${id}/events`);
    expect(events.text).toContain('event: progress');
    expect(events.text).toMatch(/"to":"completed"/);
    expect(existsSync(join(server.dirs.home, 'backtests', id, 'trades.json'))).toBe(true);
  });

  it('pages through the trades and downsamples the equity curve keeping its minimum and maximum', async () => {
    const id = await startBacktest({ start_date: '2012-01-01', mode: 'long_short' });
    expect((await server.waitForStatus(id, ['completed', 'failed', 'cancelled'])).status).toBe('completed');
    const summary = BacktestSummarySchema.parse((await server.http('GET', `/api/v1/backtests/${id}`)).body);
    expect(summary.trades).toBeGreaterThan(3);

    const all = BacktestTradesSchema.parse((await server.http('GET', `/api/v1/backtests/${id}/trades?limit=1000`)).body);
    expect(all).toMatchObject({ total: summary.trades, offset: 0, limit: 1000 });
    expect(all.data).toHaveLength(Math.min(1000, summary.trades));
    expect(all.data[0]).toMatchObject({ side: expect.stringMatching(/^(long|short)$/), entry_time: expect.any(String), pnl: expect.any(Number) });
    const first = BacktestTradesSchema.parse((await server.http('GET', `/api/v1/backtests/${id}/trades`)).body);
    expect(first.limit).toBe(100);
    const pages = [];
    for (let offset = 0; offset < all.total; offset += 2) {
      pages.push(...BacktestTradesSchema.parse((await server.http('GET', `/api/v1/backtests/${id}/trades?offset=${offset}&limit=2`)).body).data);
    }
    expect(pages).toEqual(all.data);
    const past = BacktestTradesSchema.parse((await server.http('GET', `/api/v1/backtests/${id}/trades?offset=${all.total}`)).body);
    expect(past).toMatchObject({ data: [], total: all.total });
    expect(errorCode(await server.http('GET', `/api/v1/backtests/${id}/trades?limit=1001`))).toBe('VALIDATION_FAILED');

    const full = BacktestEquitySchema.parse((await server.http('GET', `/api/v1/backtests/${id}/equity?points=100000`)).body);
    expect(full.points).toBe(summary.bars);
    expect(full.timestamps[0]).toBe(summary.first_bar);
    const small = BacktestEquitySchema.parse((await server.http('GET', `/api/v1/backtests/${id}/equity?points=20`)).body);
    expect(small.points).toBeLessThanOrEqual(20);
    expect(small.equity).toHaveLength(small.points);
    expect(Math.min(...small.equity)).toBe(Math.min(...full.equity));
    expect(Math.max(...small.equity)).toBe(Math.max(...full.equity));
    expect([small.timestamps[0], small.timestamps.at(-1)]).toEqual([full.timestamps[0], full.timestamps.at(-1)]);
    // Buy-and-hold at the same bars: starts where the equity starts, and its last point is the benchmark's return.
    expect(full.benchmark).toHaveLength(full.points);
    expect(small.benchmark).toHaveLength(small.points);
    expect(full.benchmark![0]).toBe(full.equity[0]);
    expect(full.benchmark!.at(-1)! / full.benchmark![0] - 1).toBeCloseTo(summary.benchmark.total_return as number, 9);
    expect(small.benchmark!.at(-1)).toBe(full.benchmark!.at(-1));
    const byDefault = BacktestEquitySchema.parse((await server.http('GET', `/api/v1/backtests/${id}/equity`)).body);
    expect(byDefault.points).toBeLessThanOrEqual(1000);
    expect(errorCode(await server.http('GET', `/api/v1/backtests/${id}/equity?points=1`))).toBe('VALIDATION_FAILED');
  });

  it('cancels a running backtest through DELETE /operations/{id}: cancelled, no results, no files', async () => {
    // The whole history: the worker's start alone outlasts the cancel request.
    const id = await startBacktest({});
    const cancel = await server.http('DELETE', `/api/v1/operations/${id}`);
    expect(cancel.status).toBe(202);
    const done = await server.waitForStatus(id, ['completed', 'failed', 'cancelled']);
    expect(done.status).toBe('cancelled');
    expect(done.result).toBeNull();
    expect(errorCode(await server.http('GET', `/api/v1/backtests/${id}`))).toBe('RESULT_NOT_READY');
    await server.backend.backtests.whenFinished(id);
    expect(existsSync(join(server.dirs.home, 'backtests', id))).toBe(false);
    expect(errorCode(await server.http('DELETE', `/api/v1/operations/${id}`))).toBe('OPERATION_FINISHED');
  });

  it('refuses bad requests before recording anything', async () => {
    const before = await backtestCount();
    const refused = async (body: Record<string, unknown>): Promise<[number, string]> => {
      const result = await server.http('POST', '/api/v1/backtests', { json: body });
      return [result.status, errorCode(result)];
    };
    expect(await refused({ strategy_name: 'bt_tiny', version: 99 })).toEqual([404, 'MODEL_NOT_FOUND']);
    expect(await refused({ strategy_name: 'never_trained' })).toEqual([404, 'MODEL_NOT_FOUND']);
    expect(await refused({ strategy_name: 'bt_tiny', mode: 'sideways' })).toEqual([400, 'VALIDATION_FAILED']);
    expect(await refused({ strategy_name: 'bt_tiny', fee_bps: 5000 })).toEqual([400, 'VALIDATION_FAILED']);
    expect(await refused({ strategy_name: 'bt_tiny', position_fraction: 0 })).toEqual([400, 'VALIDATION_FAILED']);
    expect(await refused({ strategy_name: 'bt_tiny', start_date: '2019-01-01', end_date: '2018-01-01' })).toEqual([400, 'VALIDATION_FAILED']);
    expect(await refused({ strategy_name: 'bt_tiny', start_date: '2019-02-30' })).toEqual([400, 'VALIDATION_FAILED']);
    expect(await refused({ strategy_name: 'bt_tiny', timeframe: '1h' })).toEqual([400, 'VALIDATION_FAILED']);
    expect(await refused({ strategy_name: 'bt_tiny', symbol: 'NOPE' })).toEqual([404, 'DATA_NOT_FOUND']);
    expect(await refused({ strategy_name: 'bt_tiny', colour: 'red' })).toEqual([400, 'VALIDATION_FAILED']);
    expect(await backtestCount()).toBe(before);
  });

  it('fails a run whose range lies past the data with DATA_EMPTY_RANGE, with no results', async () => {
    const id = await startBacktest({ start_date: '2030-01-01' });
    const done = await server.waitForStatus(id, ['completed', 'failed', 'cancelled']);
    expect(done).toMatchObject({ status: 'failed', error: { code: 'DATA_EMPTY_RANGE' }, result: null });
    expect(errorCode(await server.http('GET', `/api/v1/backtests/${id}`))).toBe('RESULT_NOT_READY');
    expect(errorCode(await server.http('GET', `/api/v1/backtests/${id}/equity`))).toBe('RESULT_NOT_READY');
    // A failed backtest says nothing about the strategy's training: it stays trained.
    const strategy = (await server.http('GET', '/api/v1/strategies/bt_tiny')).body as { training_status: string };
    expect(strategy.training_status).toBe('trained');
  });

  it('answers OPERATION_NOT_FOUND for an unknown id and for an operation that is not a backtest', async () => {
    expect(errorCode(await server.http('GET', '/api/v1/backtests/no-such-id'))).toBe('OPERATION_NOT_FOUND');
    const training = OperationListSchema.parse((await server.http('GET', '/api/v1/operations?type=training')).body).data[0];
    const result = await server.http('GET', `/api/v1/backtests/${training.operation_id}/trades`);
    expect([result.status, errorCode(result)]).toEqual([404, 'OPERATION_NOT_FOUND']);
  });
});

describe('backend API: a backtest left running by a killed server', () => {
  it('is failed as INTERRUPTED at the next start', async () => {
    const first = await startTestBackend({});
    const { dirs } = first;
    await first.backend.close();
    // What a killed server leaves: the operation running in the database, nobody running it.
    const store = new SqliteOperationStore(join(dirs.home, 'ktrdr.db'));
    const left = await store.create({
      type: 'backtest',
      strategy: 'bt_tiny',
      request: { strategy_name: 'bt_tiny' },
      execution: { requested: 'local', selected: 'local', reason: 'backtests run in a worker thread of the server' },
    });
    await store.markRunning(left.id);
    await store.close();

    const second = await startTestBackend({}, { dirs });
    try {
      expect(second.backend.interrupted.map((op) => op.id)).toEqual([left.id]);
      expect(await second.operation(left.id)).toMatchObject({ type: 'backtest', status: 'failed', error: { code: 'INTERRUPTED' } });
    } finally {
      await second.close();
    }
  });
});
