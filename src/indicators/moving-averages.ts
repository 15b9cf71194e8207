import { z } from 'zod';
import { idNumber, periodParam, sourceParam, sourceValues, withSource } from './params.js';
import { ema, firstValid, nanArray, sma } from './rolling.js';
import { defineIndicator } from './types.js';

/** Linearly weighted mean, weights 1…period with the newest bar heaviest (TTR `WMA` default weights). */
export function wma(values: Float64Array, period: number): Float64Array {
  const n = values.length;
  const out = nanArray(n);
  const start = firstValid(values);
  const first = start + period - 1;
  if (first >= n) return out;
  const weightSum = (period * (period + 1)) / 2;
  let sum = 0;
  let weighted = 0;
  for (let i = start; i <= first; i++) {
    sum += values[i];
    weighted += (i - start + 1) * values[i];
  }
  out[first] = weighted / weightSum;
  for (let i = first + 1; i < n; i++) {
    // Every value in the window loses one unit of weight (dropping the oldest, whose weight was 1) and the newest
    // enters with weight `period`.
    weighted += period * values[i] - sum;
    sum += values[i] - values[i - period];
    out[i] = weighted / weightSum;
  }
  return out;
}

const maParams = z.strictObject({ period: periodParam(20), source: sourceParam() });

export const smaIndicator = defineIndicator({
  type: 'sma',
  aliases: ['simplemovingaverage'],
  description: 'Simple moving average of the source over `period` bars.',
  outputs: ['value'],
  params: maParams,
  defaultId: (p) => withSource(`sma_${idNumber(p.period)}`, p.source),
  compute: (series, p) => ({ value: sma(sourceValues(series, p.source), p.period) }),
});

export const emaIndicator = defineIndicator({
  type: 'ema',
  aliases: ['exponentialmovingaverage'],
  description: 'Exponential moving average, alpha = 2/(period + 1), seeded with the SMA of the first `period` bars.',
  outputs: ['value'],
  params: maParams,
  defaultId: (p) => withSource(`ema_${idNumber(p.period)}`, p.source),
  compute: (series, p) => ({ value: ema(sourceValues(series, p.source), p.period) }),
});

export const wmaIndicator = defineIndicator({
  type: 'wma',
  aliases: ['weightedmovingaverage'],
  description: 'Linearly weighted moving average (weights 1…period, newest heaviest).',
  outputs: ['value'],
  params: maParams,
  defaultId: (p) => withSource(`wma_${idNumber(p.period)}`, p.source),
  compute: (series, p) => ({ value: wma(sourceValues(series, p.source), p.period) }),
});
