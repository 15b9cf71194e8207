// The backtest engine's public surface: the pipeline, CLI and API import from here, not from the files behind it.
export {
  DEFAULT_BACKTEST_SETTINGS,
  resolveBacktestSettings,
  runBacktest,
  type BacktestBars,
  type BacktestMode,
  type BacktestResult,
  type BacktestSettings,
  type BacktestSignals,
  type Trade,
} from './engine.js';
export { type BacktestMetrics, type BenchmarkMetrics, type ReturnRiskMetrics, type TradeMetrics } from './metrics.js';
export { alignSignals, parseSignalsCsv } from './signals-csv.js';
export { downsampleSeries } from './downsample.js';
