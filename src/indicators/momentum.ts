import { z } from 'zod';
import { idNumber, periodParam, sourceParam, sourceValues, withSource } from './params.js';
import { nanArray } from './rolling.js';
import { defineIndicator } from './types.js';

/**
 * Wilder's RSI: average gains and losses smoothed with alpha = 1/period, seeded with the simple mean of the first
 * `period` changes, so the first value is at bar `period`. When both averages are 0 (a flat start) the RSI is 50:
 * no gains and no losses is neither overbought nor oversold. TTR gives NaN there.
 */
export function rsi(values: Float64Array, period: number): Float64Array {
  const n = values.length;
  const out = nanArray(n);
  if (period >= n) return out;
  let gain = 0;
  let loss = 0;
  for (let i = 1; i <= period; i++) {
    const change = values[i] - values[i - 1];
    if (change > 0) gain += change;
    else loss -= change;
  }
  gain /= period;
  loss /= period;
  out[period] = rsiValue(gain, loss);
  const alpha = 1 / period;
  const keep = 1 - alpha;
  for (let i = period + 1; i < n; i++) {
    const change = values[i] - values[i - 1];
    gain = (change > 0 ? change : 0) * alpha + gain * keep;
    loss = (change < 0 ? -change : 0) * alpha + loss * keep;
    out[i] = rsiValue(gain, loss);
  }
  return out;
}

function rsiValue(gain: number, loss: number): number {
  const total = gain + loss;
  return total === 0 ? 50 : (100 * gain) / total;
}

/**
 * Rate of change over `period` bars: percent, 100·(x/x₋ₙ − 1), by default; `log` gives ln(x/x₋ₙ) as a fraction
 * (TTR's default). A zero base has no rate of change, so it gives NaN rather than an infinity.
 */
export function roc(values: Float64Array, period: number, mode: RocMode = 'percent'): Float64Array {
  const n = values.length;
  const out = nanArray(n);
  for (let i = period; i < n; i++) {
    const base = values[i - period];
    if (base === 0) continue;
    out[i] = mode === 'percent' ? 100 * (values[i] / base - 1) : Math.log(values[i] / base);
  }
  return out;
}

export type RocMode = 'percent' | 'log';

export function momentum(values: Float64Array, period: number): Float64Array {
  const n = values.length;
  const out = nanArray(n);
  for (let i = period; i < n; i++) out[i] = values[i] - values[i - period];
  return out;
}

export const rsiIndicator = defineIndicator({
  type: 'rsi',
  aliases: ['relativestrengthindex'],
  description: "Wilder's relative strength index (0..100), SMA-seeded; 50 while there are neither gains nor losses.",
  outputs: ['value'],
  params: z.strictObject({ period: periodParam(14), source: sourceParam() }),
  defaultId: (p) => withSource(`rsi_${idNumber(p.period)}`, p.source),
  compute: (series, p) => ({ value: rsi(sourceValues(series, p.source), p.period) }),
});

export const rocIndicator = defineIndicator({
  type: 'roc',
  aliases: ['rateofchange'],
  description: 'Rate of change over `period` bars, in percent (mode `log`: natural log return, a fraction).',
  outputs: ['value'],
  params: z.strictObject({
    period: periodParam(10),
    source: sourceParam(),
    mode: z.enum(['percent', 'log']).default('percent'),
  }),
  defaultId: (p) => withSource(`roc_${idNumber(p.period)}${p.mode === 'percent' ? '' : `_${p.mode}`}`, p.source),
  compute: (series, p) => ({ value: roc(sourceValues(series, p.source), p.period, p.mode) }),
});

export const momentumIndicator = defineIndicator({
  type: 'momentum',
  aliases: ['mom'],
  description: 'Difference between the source and its value `period` bars earlier.',
  outputs: ['value'],
  params: z.strictObject({ period: periodParam(10), source: sourceParam() }),
  defaultId: (p) => withSource(`momentum_${idNumber(p.period)}`, p.source),
  compute: (series, p) => ({ value: momentum(sourceValues(series, p.source), p.period) }),
});
