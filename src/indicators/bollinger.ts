import { z } from 'zod';
import { idNumber, periodParam, positiveParam, sourceParam, sourceValues, withSource } from './params.js';
import { firstValid, nanArray } from './rolling.js';
import { computedOutputs, defineIndicator, isSelected, type OutputSelection } from './types.js';

export type BollingerOutputs = Record<'upper' | 'middle' | 'lower' | 'bandwidth' | 'pct_b', Float64Array>;

/**
 * Bollinger Bands: SMA ± multiplier · population standard deviation (÷n, as TTR, TA-Lib and Bollinger himself; the
 * original system's pandas code used the sample deviation, ÷(n − 1), which `sd: 'sample'` reproduces).
 * bandwidth = (upper − lower)/middle (a fraction); pct_b = (x − lower)/(upper − lower). On a flat window the bands
 * collapse onto the price and pct_b is 0.5 (the price sits in the middle of a zero-width band); TTR gives 0/0 = NaN.
 */
export function bollinger(values: Float64Array, period: number, multiplier: number, sd: 'population' | 'sample' = 'population'): BollingerOutputs {
  return bollingerColumns(values, period, multiplier, sd, undefined) as BollingerOutputs;
}

/** `bollinger` computing only the selected outputs (the others are undefined): each one is a full-length array. */
export function bollingerColumns(
  values: Float64Array,
  period: number,
  multiplier: number,
  sd: 'population' | 'sample',
  outputs: OutputSelection,
): Partial<BollingerOutputs> {
  const divisor = sd === 'population' ? period : period - 1;
  const n = values.length;
  const upper = isSelected(outputs, 'upper') ? nanArray(n) : undefined;
  const middle = isSelected(outputs, 'middle') ? nanArray(n) : undefined;
  const lower = isSelected(outputs, 'lower') ? nanArray(n) : undefined;
  const bandwidth = isSelected(outputs, 'bandwidth') ? nanArray(n) : undefined;
  const pctB = isSelected(outputs, 'pct_b') ? nanArray(n) : undefined;
  const start = firstValid(values);
  const first = start + period - 1;
  if (first < n) {
    // How many consecutive bars up to the current one have exactly its value (`equalRunLengths`, kept as one number
    // instead of a full-length array): the window is flat when that reaches the period.
    let run = 0;
    for (let i = 0; i <= first; i++) run = i > 0 && values[i] === values[i - 1] ? run + 1 : 1;
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
        run = incoming === values[i - 1] ? run + 1 : 1;
      }
      const flat = run >= period;
      const mid = flat ? values[i] : mean;
      const deviation = flat || m2 <= 0 ? 0 : Math.sqrt(m2 / divisor);
      const up = mid + multiplier * deviation;
      const dn = mid - multiplier * deviation;
      if (upper) upper[i] = up;
      if (middle) middle[i] = mid;
      if (lower) lower[i] = dn;
      if (bandwidth) bandwidth[i] = (up - dn) / mid;
      if (pctB) pctB[i] = up === dn ? 0.5 : (values[i] - dn) / (up - dn);
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
  compute: (series, p, outputs) => computedOutputs(bollingerColumns(sourceValues(series, p.source), p.period, p.multiplier, 'population', outputs)),
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
