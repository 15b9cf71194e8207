import type { OhlcvSeries } from '../data/ohlcv.js';
import type { LabelSet } from './label-set.js';
import { invalidLabelParams, requireBars, requireNonZeroCloses } from './label-params.js';

/** Market context classes in index order (the original's numbering: BULLISH 0, BEARISH 1, NEUTRAL 2). */
export const CONTEXT_CLASSES = ['BULLISH', 'BEARISH', 'NEUTRAL'] as const;

export interface ContextLabelOptions {
  /** Bars ahead, H ≥ 1 (5 on daily bars in the original). */
  readonly horizon: number;
  /** Forward return (fraction) above which the bar is BULLISH; strictly greater. */
  readonly bullishThreshold: number;
  /** Forward return below which the bar is BEARISH; strictly less. Must be below the bullish threshold. */
  readonly bearishThreshold: number;
}

/**
 * Market context over the next H bars: r = C[t+H]/C[t] − 1; BULLISH when r > bullish, BEARISH when r < bearish,
 * NEUTRAL otherwise (returns exactly on a threshold are NEUTRAL). The last H bars stay unlabelled.
 */
export function contextLabels(series: OhlcvSeries, options: ContextLabelOptions): LabelSet {
  const { horizon, bullishThreshold, bearishThreshold } = options;
  if (!Number.isInteger(horizon) || horizon < 1) throw invalidLabelParams('context', `horizon must be an integer ≥ 1, got ${horizon}`, { horizon });
  if (!(bearishThreshold < bullishThreshold)) {
    throw invalidLabelParams('context', `bearish_threshold (${bearishThreshold}) must be below bullish_threshold (${bullishThreshold})`, {
      bullish_threshold: bullishThreshold,
      bearish_threshold: bearishThreshold,
    });
  }
  const close = series.close;
  requireBars('context', series, horizon + 1);
  requireNonZeroCloses('context', close);
  const n = close.length;
  const values = new Float64Array(n).fill(NaN);
  const lastBarRead = new Int32Array(n).fill(-1);
  for (let t = 0; t < n - horizon; t++) {
    const r = close[t + horizon] / close[t] - 1;
    values[t] = r > bullishThreshold ? 0 : r < bearishThreshold ? 1 : 2;
    lastBarRead[t] = t + horizon;
  }
  return { classes: CONTEXT_CLASSES, values, lastBarRead, unlabelled: { beyondData: horizon, filtered: 0 } };
}
