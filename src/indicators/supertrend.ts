import { z } from 'zod';
import type { OhlcvSeries } from '../data/ohlcv.js';
import { atr } from './atr.js';
import { idNumber, periodParam, positiveParam } from './params.js';
import { nanArray } from './rolling.js';
import { defineIndicator } from './types.js';

export type SupertrendOutputs = Record<'trend' | 'direction', Float64Array>;

/**
 * Supertrend (Seban; the form of TradingView's `ta.supertrend`).
 *
 * - ATR is this project's Wilder ATR (TR[0] undefined, SMA seed), so the first value is at bar `period`; the original
 *   used a simple rolling mean of TR. Bars before that are NaN in both outputs.
 * - Basic bands: (H + L)/2 ± multiplier · ATR.
 * - Final bands ratchet: the upper band only moves down (it takes the basic band when that is lower, or when the
 *   previous close broke above it), the lower band only moves up (symmetrically). The first valid bar takes the basic
 *   bands. The original started the ratchet from the NaN warm-up and never left it (every `trend` NaN); here the
 *   ratchet starts at the first bar that has an ATR.
 * - direction: +1 up (trend = final lower band, support), −1 down (trend = final upper band, resistance). It starts
 *   at −1 on the first valid bar, as TradingView does; a down trend turns up when the close ends above the final
 *   upper band, an up trend turns down when the close ends below the final lower band.
 */
export function supertrend(series: OhlcvSeries, period: number, multiplier: number): SupertrendOutputs {
  return supertrendFromAtr(series, atr(series, period), multiplier);
}

/** The ratchet on a given ATR series (NaN where it has no value), so the original's ATR can drive it too. */
export function supertrendFromAtr(series: OhlcvSeries, range: Float64Array, multiplier: number): SupertrendOutputs {
  const { high, low, close } = series;
  const n = close.length;
  const trend = nanArray(n);
  const direction = nanArray(n);
  let upper = NaN;
  let lower = NaN;
  let dir = 0;
  for (let i = 0; i < n; i++) {
    if (Number.isNaN(range[i])) continue;
    const mid = (high[i] + low[i]) / 2;
    const basicUpper = mid + multiplier * range[i];
    const basicLower = mid - multiplier * range[i];
    if (dir === 0) {
      upper = basicUpper;
      lower = basicLower;
      dir = -1;
    } else {
      const prevClose = close[i - 1];
      upper = basicUpper < upper || prevClose > upper ? basicUpper : upper;
      lower = basicLower > lower || prevClose < lower ? basicLower : lower;
      if (dir === -1) dir = close[i] > upper ? 1 : -1;
      else dir = close[i] < lower ? -1 : 1;
    }
    trend[i] = dir === 1 ? lower : upper;
    direction[i] = dir;
  }
  return { trend, direction };
}

export const supertrendIndicator = defineIndicator({
  type: 'supertrend',
  description: 'Supertrend: ratcheting (H+L)/2 ± multiplier·Wilder ATR band; `direction` +1 up / −1 down, `trend` the active band.',
  outputs: ['trend', 'direction'],
  params: z.strictObject({ period: periodParam(10), multiplier: positiveParam(3) }),
  defaultId: (p) => `supertrend_${idNumber(p.period)}_${idNumber(p.multiplier)}`,
  compute: (series, p) => supertrend(series, p.period, p.multiplier),
});
