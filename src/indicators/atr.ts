import { z } from 'zod';
import type { OhlcvSeries } from '../data/ohlcv.js';
import { idNumber, periodParam } from './params.js';
import { nanArray, wilderMean } from './rolling.js';
import { defineIndicator } from './types.js';

/**
 * True range, max(H, C₋₁) − min(L, C₋₁). Bar 0 has no previous close, so it is NaN (TTR, TA-Lib) rather than H − L
 * (Tulip): using H − L would start ATR one bar early with a different seed.
 */
export function trueRange(series: OhlcvSeries): Float64Array {
  const { high, low, close } = series;
  const n = close.length;
  const out = nanArray(n);
  for (let i = 1; i < n; i++) {
    const prevClose = close[i - 1];
    const top = high[i] > prevClose ? high[i] : prevClose;
    const bottom = low[i] < prevClose ? low[i] : prevClose;
    out[i] = top - bottom;
  }
  return out;
}

/** Wilder's average true range; the first value (bar `period`) is the mean of TR over bars 1…period. */
export function atr(series: OhlcvSeries, period: number): Float64Array {
  return wilderMean(trueRange(series), period);
}

export const atrIndicator = defineIndicator({
  type: 'atr',
  aliases: ['averagetruerange'],
  description: "Wilder's average true range, with the true range itself as a second output.",
  outputs: ['atr', 'tr'],
  params: z.strictObject({ period: periodParam(14) }),
  defaultId: (p) => `atr_${idNumber(p.period)}`,
  compute: (series, p) => {
    const tr = trueRange(series);
    return { atr: wilderMean(tr, p.period), tr };
  },
});
