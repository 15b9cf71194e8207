import { barsAt } from '../backtest/bars.js';
import { resolveBacktestSettings, runBacktest, type BacktestMetrics, type BacktestSettings, type BenchmarkMetrics } from '../backtest/engine.js';
import { benchmarkToWire, metricsToWire, settingsToWire, snakeKeys } from '../backtest/json.js';
import type { OhlcvSeries } from '../data/ohlcv.js';
import { formatTimestamp } from '../data/timestamp.js';
import { CLASS_NAMES } from '../labels/label-classes.js';
import { argmaxRows } from '../nn/index.js';

/** One symbol's test rows: the base bars they stand on, in order. */
export interface SymbolTestRows {
  readonly symbol: string;
  readonly base: OhlcvSeries;
  /** Index in `base` of each test row's bar. */
  readonly barIndex: Int32Array;
}

export interface SymbolBacktest {
  readonly symbol: string;
  readonly bars: number;
  readonly first: number;
  readonly last: number;
  readonly metrics: BacktestMetrics;
  readonly benchmark: BenchmarkMetrics;
}

/** The test-period backtest of a trained model: per symbol, and the mean of each figure across symbols. */
export interface TestBacktest {
  readonly settings: BacktestSettings;
  readonly symbols: readonly SymbolBacktest[];
  readonly mean: { readonly metrics: NumericFigures<BacktestMetrics>; readonly benchmark: NumericFigures<BenchmarkMetrics> };
}

type NumericFigures<T> = { [K in keyof T]: number | null };

/** Fewest test rows a symbol needs to be backtested: one to signal on and one to fill at. */
const MIN_ROWS = 2;

/**
 * Backtests the model's test-split classes on each symbol's own test bars (the stacked test rows are each symbol's
 * in symbol order, as `stackSplits` built them): a signal at a row's close fills at the next row's open. A symbol
 * with fewer than two test rows is left out.
 */
export function backtestTestSplit(rows: readonly SymbolTestRows[], probabilities: Float32Array, settings: Partial<BacktestSettings>): TestBacktest {
  const total = rows.reduce((sum, r) => sum + r.barIndex.length, 0);
  const best = argmaxRows(probabilities, total, CLASS_NAMES.length);
  const allSignals = Uint8Array.from(best);
  const allConfidence = Float64Array.from(best, (c, r) => probabilities[r * CLASS_NAMES.length + c]);
  const symbols: SymbolBacktest[] = [];
  let offset = 0;
  for (const { symbol, base, barIndex } of rows) {
    const n = barIndex.length;
    const signals = allSignals.subarray(offset, offset + n);
    const confidence = allConfidence.subarray(offset, offset + n);
    offset += n;
    if (n < MIN_ROWS) continue;
    const bars = barsAt(base, barIndex);
    const result = runBacktest(bars, { signals, confidence }, settings);
    symbols.push({ symbol, bars: n, first: bars.timestamps[0], last: bars.timestamps[n - 1], metrics: result.metrics, benchmark: result.benchmark });
  }
  return {
    settings: resolveBacktestSettings(settings),
    symbols,
    mean: { metrics: meanFigures(symbols.map((s) => s.metrics)), benchmark: meanFigures(symbols.map((s) => s.benchmark)) },
  };
}

/** The mean of each figure over the symbols that have it (null where none has). */
function meanFigures<T extends object>(figures: readonly T[]): NumericFigures<T> {
  const keys = figures.length > 0 ? (Object.keys(figures[0]) as (keyof T)[]) : [];
  const mean = {} as NumericFigures<T>;
  for (const key of keys) {
    const values = figures.map((f) => f[key]).filter((v): v is T[keyof T] & number => typeof v === 'number');
    mean[key] = values.length === 0 ? null : values.reduce((sum, v) => sum + v, 0) / values.length;
  }
  return mean;
}

/** How the test backtest is stored in `metrics.json`: snake_case, timestamps as text. */
export interface TestBacktestJson {
  readonly settings: Record<string, unknown>;
  readonly symbols: readonly {
    readonly symbol: string;
    readonly bars: number;
    readonly first_bar: string;
    readonly last_bar: string;
    readonly metrics: Figures;
    readonly benchmark: Figures;
  }[];
  readonly mean: { readonly metrics: Figures; readonly benchmark: Figures };
}

/** Named figures, each a number or null where undefined for the data. */
type Figures = Readonly<Record<string, number | null>>;

export function testBacktestToJson(backtest: TestBacktest): TestBacktestJson {
  return {
    settings: settingsToWire(backtest.settings),
    symbols: backtest.symbols.map((s) => ({
      symbol: s.symbol,
      bars: s.bars,
      first_bar: formatTimestamp(s.first),
      last_bar: formatTimestamp(s.last),
      metrics: metricsToWire(s.metrics),
      benchmark: benchmarkToWire(s.benchmark),
    })),
    mean: { metrics: snakeKeys(backtest.mean.metrics), benchmark: snakeKeys(backtest.mean.benchmark) },
  };
}

const percent = (value: number | null | undefined): string => (value === null || value === undefined ? '-' : `${(value * 100).toFixed(2)}%`);
const ratio = (value: number | null | undefined): string => (value === null || value === undefined ? '-' : value.toFixed(2));

/** The test-period figures a listing shows next to accuracy (the mean across symbols), or null for a model without. */
export interface TestPeriodSummary {
  readonly return: number | null;
  readonly sharpe: number | null;
  readonly max_drawdown: number | null;
  readonly trades: number | null;
  readonly buy_and_hold: { readonly return: number | null; readonly sharpe: number | null; readonly max_drawdown: number | null };
}

export function testPeriodSummary(backtest: TestBacktestJson | undefined): TestPeriodSummary | null {
  if (backtest === undefined || backtest.symbols.length === 0) return null;
  const { metrics: m, benchmark: b } = backtest.mean;
  const figure = (value: number | null | undefined): number | null => value ?? null;
  return {
    return: figure(m.total_return),
    sharpe: figure(m.sharpe),
    max_drawdown: figure(m.max_drawdown),
    trades: figure(m.trades),
    buy_and_hold: { return: figure(b.total_return), sharpe: figure(b.sharpe), max_drawdown: figure(b.max_drawdown) },
  };
}

/**
 * The one line a run logs and the CLI prints: the test period's return, Sharpe and drawdown next to buy-and-hold
 * (means across `symbols` when there are several). The same text whether read from a run, a model or an operation.
 */
export function testPeriodLine(summary: TestPeriodSummary | null, symbols = 1): string {
  if (summary === null) return 'Test period: too few test bars to trade';
  const b = summary.buy_and_hold;
  const across = symbols > 1 ? ` (mean of ${symbols} symbols)` : '';
  return (
    `Test period${across}: return ${percent(summary.return)} (buy-and-hold ${percent(b.return)}), ` +
    `Sharpe ${ratio(summary.sharpe)} (${ratio(b.sharpe)}), max drawdown ${percent(summary.max_drawdown)} (${percent(b.max_drawdown)}), ` +
    `${summary.trades ?? 0} trades`
  );
}
