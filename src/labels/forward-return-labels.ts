import type { OhlcvSeries } from '../data/ohlcv.js';
import type { LabelSet } from './label-set.js';
import { invalidLabelParams, requireBars, requireNonZeroCloses } from './label-params.js';

export interface ForwardReturnOptions {
  /** Bars ahead, H ≥ 1. */
  readonly horizon: number;
}

/**
 * Forward return, a regression target: label[t] = (C[t+H] − C[t]) / C[t] as a plain fraction (not log, not %), for
 * t < n − H. The last H bars would need bars beyond the data and stay unlabelled. Needs n ≥ H + 1 bars and no zero
 * close (the original refused both).
 */
export function forwardReturnLabels(series: OhlcvSeries, options: ForwardReturnOptions): LabelSet {
  const { horizon } = options;
  if (!Number.isInteger(horizon) || horizon < 1)
    throw invalidLabelParams('forward_return', `horizon must be an integer ≥ 1, got ${horizon}`, { horizon });
  const close = series.close;
  requireBars('forward_return', series, horizon + 1);
  requireNonZeroCloses('forward_return', close);
  const n = close.length;
  const values = new Float64Array(n).fill(NaN);
  const lastBarRead = new Int32Array(n).fill(-1);
  for (let t = 0; t < n - horizon; t++) {
    values[t] = (close[t + horizon] - close[t]) / close[t];
    lastBarRead[t] = t + horizon;
  }
  return { classes: null, values, lastBarRead, unlabelled: { beyondData: horizon, filtered: 0 } };
}
