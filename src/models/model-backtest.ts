import { parseStrategy } from '../config/strategy.js';
import { filterRange, resolveRange } from '../data/range.js';
import type { MarketDataSource } from '../data/repository.js';
import { formatTimestamp } from '../data/timestamp.js';
import { KtrdrError } from '../errors.js';
import { benchmarkToWire, metricsToWire, settingsToWire, type BacktestMetricsWire, type BenchmarkMetricsWire } from '../backtest/json.js';
import { runBacktest, type BacktestBars, type BacktestResult, type BacktestSettings } from '../backtest/engine.js';
import { barsAt } from '../backtest/bars.js';
import { alignSignals, parseSignalsCsv } from '../backtest/signals-csv.js';
import { isTradingClassList } from '../labels/label-classes.js';
import type { ModelArtifact } from '../training/artifact.js';
import { classifyWithArtifact, loadModelWithSeries } from './inference.js';
import type { ModelStore } from './model-store.js';

/** What a backtest runs on: a symbol's bars in a date range, at a timeframe. */
export interface BacktestRange {
  readonly symbol: string;
  /** Defaults to the model's base timeframe; required for a signals file. */
  readonly timeframe?: string;
  /** First bar traded, inclusive; bars before it only warm indicators up. */
  readonly start?: string;
  /** Last bar read, inclusive; nothing after it is read. */
  readonly end?: string;
  readonly settings?: Partial<BacktestSettings>;
}

export interface ModelBacktestParams extends BacktestRange {
  readonly strategy: string;
  readonly version?: number;
}

/** A finished backtest and what it ran on. */
export interface BacktestRun {
  /** The model's strategy, or null for a signals file. */
  readonly strategy: string | null;
  readonly version: number | null;
  readonly symbol: string;
  readonly timeframe: string;
  readonly bars: BacktestBars;
  readonly result: BacktestResult;
}

/** The phases of `backtestModel` after the model is loaded, announced as each begins (progress reporting). */
export type ModelBacktestPhase = 'features' | 'backtest';

export interface ModelBacktestHooks {
  /** Called as a phase begins; `bars` is the number of bars traded once known. */
  onPhase?(phase: ModelBacktestPhase, info: { readonly bars?: number }): void;
}

/**
 * Refuses to trade a model whose outputs are not BUY/HOLD/SELL in that order: the engine reads class 0 as "go long"
 * and class 2 as "go short", so a regime or context model would be traded on meaningless signals.
 */
export function requireTradingModel(artifact: ModelArtifact, version: number | null): void {
  const { classes, source } = artifact.labels;
  // A regression model's predicted return becomes BUY/HOLD/SELL through its cost model (regression-signal.ts).
  if (isTradingClassList(classes) || source === 'forward_return') return;
  const model = `${artifact.strategy_name}${version === null ? '' : ` v${version}`}`;
  throw new KtrdrError('MODEL_NOT_TRADABLE', `model ${model} predicts ${source} classes (${classes.join(', ')}), not trading signals; it cannot be backtested`, {
    details: { strategy: artifact.strategy_name, version, label_source: source, classes },
    hint: 'train a strategy with zigzag or triple_barrier labels to backtest it; predict shows the classes of this one',
  });
}

/** Fewest bars a backtest needs: one to signal on and one to fill at. */
const MIN_BARS = 2;

/**
 * Backtests a stored model on a symbol's stored bars, computing its features as prediction does: the history before
 * `start` warms the indicators up and nothing after `end` is read, so each bar's signal uses only what was known at
 * its close. The strategy's `decisions.confidence_threshold` is the default threshold.
 */
export async function backtestModel(
  store: ModelStore,
  data: MarketDataSource,
  params: ModelBacktestParams,
  hooks: ModelBacktestHooks = {},
): Promise<BacktestRun> {
  const { stored, base, series } = await loadModelWithSeries(store, data, params, 'trades');
  const { artifact } = stored;
  requireTradingModel(artifact, stored.version);
  const { startMs } = resolveRange({ start: params.start, end: params.end });
  const baseSeries = series.get(base)!;
  const lastBar = baseSeries.timestamps[baseSeries.timestamps.length - 1];
  if (lastBar < startMs) {
    throw new KtrdrError('DATA_EMPTY_RANGE', `no ${params.symbol} ${base} bars from ${params.start}: the data ends at ${formatTimestamp(lastBar)}`, {
      details: { symbol: params.symbol, timeframe: base, start: params.start ?? null, last_bar: formatTimestamp(lastBar) },
    });
  }
  hooks.onPhase?.('features', {});
  const classes = classifyWithArtifact(artifact, series);
  const first = classes.timestamps.findIndex((t) => t >= startMs);
  const rows = first < 0 ? 0 : classes.timestamps.length - first;
  if (rows < MIN_BARS) {
    throw new KtrdrError('DATA_INSUFFICIENT', `${params.symbol} ${base}: ${rows} bar(s) with complete features in the range; a backtest needs ${MIN_BARS}`, {
      details: { symbol: params.symbol, timeframe: base, start: params.start ?? null, end: params.end ?? null, bars: rows },
      hint: 'widen the range: the indicators need history before the first bar traded, and the data must cover the range',
    });
  }
  const bars = barsAt(baseSeries, classes.barIndex.subarray(first));
  const strategy = parseStrategy(artifact.strategy_yaml, `${artifact.strategy_name} (model snapshot)`);
  const settings = { confidenceThreshold: strategy.decisions.confidenceThreshold ?? 0, ...definedOnly(params.settings) };
  hooks.onPhase?.('backtest', { bars: rows });
  const result = runBacktest(bars, { signals: classes.signals.subarray(first), confidence: classes.confidence.subarray(first) }, settings);
  return { strategy: params.strategy, version: stored.version, symbol: params.symbol, timeframe: base, bars, result };
}

export interface SignalsBacktestParams extends BacktestRange {
  readonly timeframe: string;
  /** The CSV text (`timestamp,signal`) and where it came from, for messages. */
  readonly signalsCsv: string;
  readonly source: string;
}

/**
 * Backtests signals from any source on a symbol's stored bars in [start, end], so a model and an outside signal are
 * compared on equal terms. Every signal must stand on a bar of the series; bars without one are HOLD.
 */
export async function backtestSignals(data: MarketDataSource, params: SignalsBacktestParams): Promise<BacktestRun> {
  const parsed = parseSignalsCsv(params.signalsCsv, params.source);
  const series = filterRange(await data.load(params.symbol, params.timeframe, { end: params.end }), { start: params.start });
  if (series.timestamps.length < MIN_BARS) {
    throw new KtrdrError('DATA_INSUFFICIENT', `${params.symbol} ${params.timeframe}: ${series.timestamps.length} bar(s) in the range; a backtest needs ${MIN_BARS}`);
  }
  // A file may cover more than the range tested: only its signals inside the range must stand on bars.
  const first = series.timestamps[0];
  const last = series.timestamps[series.timestamps.length - 1];
  const inside = [...parsed.timestamps.keys()].filter((k) => parsed.timestamps[k] >= first && parsed.timestamps[k] <= last);
  const signals = alignSignals(
    series.timestamps,
    Float64Array.from(inside, (k) => parsed.timestamps[k]),
    Uint8Array.from(inside, (k) => parsed.signals[k]),
  );
  const bars: BacktestBars = { timestamps: series.timestamps, open: series.open, close: series.close };
  const result = runBacktest(bars, { signals }, definedOnly(params.settings));
  return { strategy: null, version: null, symbol: params.symbol, timeframe: params.timeframe, bars, result };
}

function definedOnly(settings: Partial<BacktestSettings> | undefined): Partial<BacktestSettings> {
  return Object.fromEntries(Object.entries(settings ?? {}).filter(([, value]) => value !== undefined));
}

/** What a backtest ran on and its figures, in the snake_case of `ktrdr backtest --json` and the API. */
export interface BacktestRunSummary {
  readonly strategy: string;
  readonly version: number | null;
  readonly symbol: string;
  readonly timeframe: string;
  readonly first_bar: string;
  readonly last_bar: string;
  readonly bars: number;
  readonly settings: Record<string, unknown>;
  readonly metrics: BacktestMetricsWire;
  readonly benchmark: BenchmarkMetricsWire;
}

/** One wire form for a finished run, so the CLI's JSON and the API's result cannot drift; `label` names a signals file's run. */
export function backtestRunSummary(run: BacktestRun, label?: string): BacktestRunSummary {
  const { bars, result } = run;
  return {
    strategy: run.strategy ?? label ?? 'signals',
    version: run.version,
    symbol: run.symbol,
    timeframe: run.timeframe,
    first_bar: formatTimestamp(bars.timestamps[0]),
    last_bar: formatTimestamp(bars.timestamps[bars.timestamps.length - 1]),
    bars: bars.timestamps.length,
    settings: settingsToWire(result.settings),
    metrics: metricsToWire(result.metrics),
    benchmark: benchmarkToWire(result.benchmark),
  };
}
