import { z } from 'zod';
import type { OhlcvSeries } from '../data/ohlcv.js';
import { idNumber, periodParam } from './params.js';
import { nanArray, rollingExtreme } from './rolling.js';
import { defineIndicator } from './types.js';

export type AroonOutputs = Record<'up' | 'down' | 'oscillator', Float64Array>;

/**
 * Aroon over the last period + 1 bars, so "bars since the extreme" runs 0…period and the lines span the full
 * 0..100 (TA-Lib's window, first value at bar `period`; TTR already reports at bar period − 1 on a short window).
 * up = 100·(period − bars since the highest high)/period; ties go to the most recent bar.
 */
export function aroon(series: OhlcvSeries, period: number): AroonOutputs {
  const n = series.high.length;
  const sinceHigh = nanArray(n);
  const sinceLow = nanArray(n);
  rollingExtreme(series.high, period + 1, 1, sinceHigh);
  rollingExtreme(series.low, period + 1, -1, sinceLow);
  const up = nanArray(n);
  const down = nanArray(n);
  const oscillator = nanArray(n);
  for (let i = period; i < n; i++) {
    up[i] = (100 * (period - sinceHigh[i])) / period;
    down[i] = (100 * (period - sinceLow[i])) / period;
    oscillator[i] = up[i] - down[i];
  }
  return { up, down, oscillator };
}

export const aroonIndicator = defineIndicator({
  type: 'aroon',
  description: 'Aroon up/down (0..100, how recent the highest high / lowest low is) and their difference.',
  outputs: ['up', 'down', 'oscillator'],
  params: z.strictObject({ period: periodParam(14) }),
  defaultId: (p) => `aroon_${idNumber(p.period)}`,
  compute: (series, p) => aroon(series, p.period),
});
