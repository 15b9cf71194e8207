import { measuredPeriodsPerYear, returnRiskMetrics, type ReturnRiskMetrics } from '../backtest/metrics.js';

/** One window's out-of-sample backtest: its curve and the buy-and-hold curve on the same bars. */
export interface WindowCurve {
  readonly timestamps: Float64Array;
  readonly equity: Float64Array;
  readonly benchmark: Float64Array;
  readonly trades: number;
}

export interface StitchedCurve {
  readonly timestamps: Float64Array;
  readonly equity: Float64Array;
  /** Buy-and-hold, stitched the same way (reinvested at each window's start). */
  readonly benchmark: Float64Array;
  readonly metrics: ReturnRiskMetrics & { readonly trades: number };
  readonly benchmarkMetrics: ReturnRiskMetrics;
}

/**
 * Joins the windows' out-of-sample curves, in order, into one: each window starts from the previous window's end
 * equity (its curve is scaled so its first value is that end), so the stitched curve is what one account would have
 * earned retraining at every window. Metrics are those of the stitched curve (see backtest/metrics.ts), annualised
 * by the bars per year measured over it. Needs at least one curve of two bars.
 */
export function stitchCurves(curves: readonly WindowCurve[], initialCapital: number): StitchedCurve {
  const n = curves.reduce((sum, c) => sum + c.timestamps.length, 0);
  const timestamps = new Float64Array(n);
  const equity = new Float64Array(n);
  const benchmark = new Float64Array(n);
  let offset = 0;
  let equityEnd = initialCapital;
  let benchmarkEnd = initialCapital;
  for (const curve of curves) {
    const scale = equityEnd / curve.equity[0];
    const benchmarkScale = benchmarkEnd / curve.benchmark[0];
    for (let i = 0; i < curve.timestamps.length; i++) {
      timestamps[offset + i] = curve.timestamps[i];
      equity[offset + i] = curve.equity[i] * scale;
      benchmark[offset + i] = curve.benchmark[i] * benchmarkScale;
    }
    offset += curve.timestamps.length;
    equityEnd = equity[offset - 1];
    benchmarkEnd = benchmark[offset - 1];
  }
  const periodsPerYear = measuredPeriodsPerYear(timestamps) ?? 1;
  return {
    timestamps,
    equity,
    benchmark,
    metrics: { ...returnRiskMetrics(timestamps, equity, periodsPerYear), trades: curves.reduce((sum, c) => sum + c.trades, 0) },
    benchmarkMetrics: returnRiskMetrics(timestamps, benchmark, periodsPerYear),
  };
}
