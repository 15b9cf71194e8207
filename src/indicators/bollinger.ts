import { z } from 'zod';
import { idNumber, periodParam, positiveParam, sourceParam, sourceValues, withSource } from './params.js';
import { equalRunLengths, firstValid, nanArray } from './rolling.js';
import { defineIndicator } from './types.js';

export type BollingerOutputs = Record<'upper' | 'middle' | 'lower' | 'bandwidth' | 'pct_b', Float64Array>;

/**
 * Bollinger Bands: SMA ± multiplier · population standard deviation (÷n, as TTR, TA-Lib and Bollinger himself; the
 * original system's pandas code used the sample deviation, ÷(n − 1), which `sd: 'sample'` reproduces).
 * bandwidth = (upper − lower)/middle (a fraction); pct_b = (x − lower)/(upper − lower). On a flat window the bands
 * collapse onto the price and pct_b is 0.5 (the price sits in the middle of a zero-width band); TTR gives 0/0 = NaN.
 */
export function bollinger(values: Float64Array, period: number, multiplier: number, sd: 'population' | 'sample' = 'population'): BollingerOutputs {
  const divisor = sd === 'population' ? period : period - 1;
  const n = values.length;
  const upper = nanArray(n);
  const middle = nanArray(n);
  const lower = nanArray(n);
  const bandwidth = nanArray(n);
  const pctB = nanArray(n);
  const start = firstValid(values);
  const first = start + period - 1;
  if (first < n) {
    const runs = equalRunLengths(values);
    // Sliding Welford update: mean and sum of squared deviations stay accurate where sum-of-squares cancels badly.
    let mean = 0;
    for (let i = start; i <= first; i++) mean += values[i];
    mean /= period;
    let m2 = 0;
    for (let i = start; i <= first; i++) m2 += (values[i] - mean) * (values[i] - mean);
    for (let i = first; i < n; i++) {
      if (i > first) {
        const incoming = values[i];
        const outgoing = values[i - period];
        const nextMean = mean + (incoming - outgoing) / period;
        m2 += (incoming - outgoing) * (incoming - nextMean + outgoing - mean);
        mean = nextMean;
      }
      const flat = runs[i] >= period;
      const mid = flat ? values[i] : mean;
      const deviation = flat || m2 <= 0 ? 0 : Math.sqrt(m2 / divisor);
      const up = mid + multiplier * deviation;
      const dn = mid - multiplier * deviation;
      upper[i] = up;
      middle[i] = mid;
      lower[i] = dn;
      bandwidth[i] = (up - dn) / mid;
      pctB[i] = up === dn ? 0.5 : (values[i] - dn) / (up - dn);
    }
  }
  return { upper, middle, lower, bandwidth, pct_b: pctB };
}

export const bbandsIndicator = defineIndicator({
  type: 'bbands',
  aliases: ['bollingerbands', 'bollinger'],
  description: 'Bollinger Bands: SMA ± multiplier·population SD, with bandwidth (fraction of middle) and %B.',
  outputs: ['upper', 'middle', 'lower', 'bandwidth', 'pct_b'],
  params: z.strictObject({ period: periodParam(20), multiplier: positiveParam(2), source: sourceParam() }),
  defaultId: (p) => withSource(`bbands_${idNumber(p.period)}_${idNumber(p.multiplier)}`, p.source),
  compute: (series, p) => bollinger(sourceValues(series, p.source), p.period, p.multiplier),
});

/**
 * The original's `bollingerbandwidth` as a family of its own: exactly `bbands.bandwidth`, (upper − lower)/middle as
 * a fraction of the middle band, from the population SD (÷n; the original used the sample SD, ÷(n − 1)). First
 * value at bar period − 1; 0 on a flat window. A middle band of exactly 0 (only possible for a source that can be 0,
 * such as volume) divides by zero and gives ±Infinity or NaN, as `bbands.bandwidth` does; the original wrote 0 there.
 */
export const bollingerBandwidthIndicator = defineIndicator({
  type: 'bollingerbandwidth',
  aliases: ['bbwidth'],
  description: 'Bollinger bandwidth: (upper − lower)/middle of BB(period, multiplier), population SD; same as bbands.bandwidth.',
  outputs: ['value'],
  params: z.strictObject({ period: periodParam(20), multiplier: positiveParam(2), source: sourceParam() }),
  defaultId: (p) => withSource(`bollingerbandwidth_${idNumber(p.period)}_${idNumber(p.multiplier)}`, p.source),
  compute: (series, p) => ({ value: bollinger(sourceValues(series, p.source), p.period, p.multiplier).bandwidth }),
});
