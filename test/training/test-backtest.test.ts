import { describe, expect, it } from 'vitest';
import { barsAt } from '../../src/backtest/bars.js';
import { runBacktest } from '../../src/backtest/engine.js';
import { benchmarkToWire, metricsToWire } from '../../src/backtest/json.js';
import { parseStrategy } from '../../src/config/strategy.js';
import { MarketDataRepository } from '../../src/data/repository.js';
import { parseTimestamp } from '../../src/data/timestamp.js';
import { classifyWithArtifact } from '../../src/models/inference.js';
import { applyOverrides } from '../../src/training/overrides.js';
import { runTraining } from '../../src/training/pipeline.js';
import { testPeriodLine, testPeriodSummary } from '../../src/training/test-backtest.js';
import { DATA_DIR } from '../helpers/strategies.js';
import { SPX_RSI_STRATEGY, recordingContext } from '../helpers/training-fixtures.js';

describe('the test-split backtest of a training', () => {
  it('should trade each symbol on its own test bars exactly as a backtest of the stored model on that period does', async () => {
    const yaml = applyOverrides(SPX_RSI_STRATEGY, { symbols: ['SPX', 'EURUSD'], startDate: '2018-01-01' });
    const run = recordingContext();
    const { artifact } = await runTraining({ strategyYaml: yaml }, run.ctx);
    const backtest = artifact.metrics.backtest!;
    expect(backtest.symbols.map((s) => s.symbol)).toEqual(['SPX', 'EURUSD']);
    expect(backtest.symbols.map((s) => s.bars)).toEqual(expect.arrayContaining([expect.any(Number), expect.any(Number)]));

    // Independently: the stored model classifies the whole history (the same features as prediction), and the test
    // period's rows are traded by the engine directly.
    const threshold = parseStrategy(yaml).decisions.confidenceThreshold ?? 0;
    const data = new MarketDataRepository(DATA_DIR);
    for (const symbol of backtest.symbols) {
      const base = await data.load(symbol.symbol, '1d', { end: '2019-12-31' });
      const classes = classifyWithArtifact(artifact, new Map([['1d', base]]));
      const from = parseTimestamp(symbol.first_bar);
      const to = parseTimestamp(symbol.last_bar);
      const rows = [...classes.timestamps.keys()].filter((r) => classes.timestamps[r] >= from && classes.timestamps[r] <= to);
      expect(rows).toHaveLength(symbol.bars);
      const pick = Int32Array.from(rows);
      const result = runBacktest(
        barsAt(
          base,
          Int32Array.from(rows, (r) => classes.barIndex[r]),
        ),
        { signals: Uint8Array.from(pick, (r) => classes.signals[r]), confidence: Float64Array.from(pick, (r) => classes.confidence[r]) },
        { confidenceThreshold: threshold },
      );
      expect(symbol.metrics).toEqual(JSON.parse(JSON.stringify(metricsToWire(result.metrics))));
      expect(symbol.benchmark).toEqual(JSON.parse(JSON.stringify(benchmarkToWire(result.benchmark))));
    }

    const [a, b] = backtest.symbols;
    expect(backtest.mean.metrics.total_return).toBeCloseTo(((a.metrics.total_return as number) + (b.metrics.total_return as number)) / 2, 12);
    expect(backtest.mean.benchmark.max_drawdown).toBeCloseTo(((a.benchmark.max_drawdown as number) + (b.benchmark.max_drawdown as number)) / 2, 12);
    const line = testPeriodLine(testPeriodSummary(backtest), 2);
    expect(run.logs.map((l) => l.msg)).toContain(line);
    expect(line).toMatch(/^Test period \(mean of 2 symbols\): return -?\d+\.\d\d% \(buy-and-hold -?\d+\.\d\d%\), Sharpe /);
  });

  it('should say so when a model has no test-period figures', () => {
    expect(testPeriodSummary(undefined)).toBeNull();
    expect(testPeriodLine(null)).toBe('Test period: too few test bars to trade');
  });
});
