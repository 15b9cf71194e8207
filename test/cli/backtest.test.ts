import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { metricsToWire, benchmarkToWire } from '../../src/backtest/json.js';
import { MarketDataRepository } from '../../src/data/repository.js';
import { backtestModel, backtestSignals } from '../../src/models/model-backtest.js';
import { FileModelStore } from '../../src/models/model-store.js';
import { projectRoot } from '../../src/util/package-info.js';
import { runCliProcess } from '../helpers/cli-process.js';
import { SPX_RSI_STRATEGY } from '../helpers/training-fixtures.js';

describe('ktrdr backtest (real processes)', () => {
  let root: string;
  let env: Record<string, string>;
  const dataDir = join(projectRoot(), 'data');

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'ktrdr-backtest-'));
    await mkdir(join(root, 'strategies'));
    await writeFile(join(root, 'strategies', 'spx_rsi_test.yaml'), SPX_RSI_STRATEGY);
    env = {
      KTRDR_DATA_DIR: dataDir,
      KTRDR_STRATEGIES_DIR: join(root, 'strategies'),
      KTRDR_MODELS_DIR: join(root, 'models'),
      KTRDR_HOME: join(root, 'home'),
    };
    expect((await runCliProcess(['train', 'spx_rsi_test'], env)).code).toBe(0);
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('should print the same figures as the engine run in-process, and write the trades and the equity curve', async () => {
    const trades = join(root, 'trades.csv');
    const equity = join(root, 'equity.csv');
    const args = [
      'backtest',
      'spx_rsi_test',
      '--start',
      '2019-01-01',
      '--end',
      '2019-12-31',
      '--mode',
      'long_short',
      '--fee-bps',
      '5',
      '--slippage-bps',
      '2',
    ];
    const result = await runCliProcess([...args, '--json', '--trades-out', trades, '--equity-out', equity], env);
    expect(result.code).toBe(0);
    const body = JSON.parse(result.stdout) as Record<string, unknown>;

    const reference = await backtestModel(new FileModelStore(join(root, 'models')), new MarketDataRepository(dataDir), {
      strategy: 'spx_rsi_test',
      symbol: 'SPX',
      start: '2019-01-01',
      end: '2019-12-31',
      settings: { mode: 'longShort', feeBps: 5, slippageBps: 2 },
    });
    expect(body).toMatchObject({
      strategy: 'spx_rsi_test',
      version: 1,
      symbol: 'SPX',
      timeframe: '1d',
      first_bar: '2019-01-02T00:00:00Z',
      last_bar: '2019-12-31T00:00:00Z',
    });
    expect(body.metrics).toEqual(JSON.parse(JSON.stringify(metricsToWire(reference.result.metrics))));
    expect(body.benchmark).toEqual(JSON.parse(JSON.stringify(benchmarkToWire(reference.result.benchmark))));
    expect(body.settings).toMatchObject({ mode: 'long_short', fee_bps: 5, slippage_bps: 2 });

    const equityLines = (await readFile(equity, 'utf8')).trim().split('\n');
    expect(equityLines[0]).toBe('timestamp,equity,position');
    expect(equityLines).toHaveLength(reference.bars.timestamps.length + 1);
    const tradeLines = (await readFile(trades, 'utf8')).trim().split('\n');
    expect(tradeLines).toHaveLength(reference.result.trades.length + 1);

    const text = await runCliProcess(args, env);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/STRATEGY\s+BUY & HOLD/);
    expect(text.stdout).toMatch(/total return\s+-?\d+\.\d\d%\s+-?\d+\.\d\d%/);
  });

  it('should backtest a signals file on equal terms', async () => {
    const signals = join(root, 'signals.csv');
    // Signals outside the tested range (2018, 2020) are outside the test; those inside must stand on bars.
    await writeFile(signals, 'timestamp,signal\n2018-06-01,BUY\n2019-01-02,1\n2019-03-01,-1\n2019-06-03,BUY\n2019-10-01,SELL\n2020-02-03,1\n');
    const args = [
      'backtest',
      'my_signals',
      '--signals',
      signals,
      '--symbol',
      'SPX',
      '--timeframe',
      '1d',
      '--start',
      '2019-01-01',
      '--end',
      '2019-12-31',
    ];
    const result = await runCliProcess([...args, '--json'], env);
    expect(result.code).toBe(0);
    const reference = await backtestSignals(new MarketDataRepository(dataDir), {
      symbol: 'SPX',
      timeframe: '1d',
      start: '2019-01-01',
      end: '2019-12-31',
      signalsCsv: await readFile(signals, 'utf8'),
      source: signals,
    });
    const body = JSON.parse(result.stdout) as { metrics: { trades: number } };
    expect(body.metrics).toEqual(JSON.parse(JSON.stringify(metricsToWire(reference.result.metrics))));
    expect(body.metrics.trades).toBe(2);
  });

  it('should refuse what it cannot backtest with a stable code and nothing written', async () => {
    const refused = async (args: string[]) => {
      const result = await runCliProcess(['backtest', ...args, '--json'], env);
      expect(result.code).not.toBe(0);
      return (JSON.parse(result.stdout.trim().split('\n').at(-1)!) as { error: { code: string } }).error.code;
    };
    const badSignals = join(root, 'bad.csv');
    await writeFile(badSignals, 'timestamp,signal\n2019-01-02,BUY\n2019-01-03,MAYBE\n');
    const equity = join(root, 'never.csv');
    expect(await refused(['spx_rsi_test', '--version', '9'])).toBe('MODEL_NOT_FOUND');
    expect(await refused(['spx_rsi_test', '--start', '2030-01-01'])).toBe('DATA_EMPTY_RANGE');
    expect(await refused(['spx_rsi_test', '--start', '2019-12-31', '--end', '2019-12-31', '--equity-out', equity])).toBe('DATA_INSUFFICIENT');
    expect(await refused(['x', '--signals', badSignals, '--symbol', 'SPX', '--timeframe', '1d'])).toBe('DATA_INVALID');
    expect(await refused(['spx_rsi_test', '--mode', 'sideways'])).toBe('VALIDATION_FAILED');
    await expect(readFile(equity)).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
