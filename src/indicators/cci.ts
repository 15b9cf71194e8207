import { z } from 'zod';
import { idNumber, periodParam, positiveParam, sourceParam, sourceValues, withSource } from './params.js';
import { equalRunLengths, nanArray, sma } from './rolling.js';
import { defineIndicator } from './types.js';

/**
 * Commodity channel index: (x − SMA)/(constant · mean absolute deviation about the *current* SMA). The deviation is
 * about this bar's mean, so each bar re-walks its window: O(n·period), unavoidable for this definition. A flat
 * window (no deviation) gives 0, where the textbook formula divides 0 by 0.
 */
export function cci(values: Float64Array, period: number, constant = 0.015): Float64Array {
  const n = values.length;
  const mean = sma(values, period);
  const runs = equalRunLengths(values);
  const out = nanArray(n);
  for (let i = period - 1; i < n; i++) {
    const m = mean[i];
    if (Number.isNaN(m)) continue;
    if (runs[i] >= period) {
      out[i] = 0;
      continue;
    }
    let deviation = 0;
    for (let j = i - period + 1; j <= i; j++) deviation += Math.abs(values[j] - m);
    deviation /= period;
    out[i] = deviation === 0 ? 0 : (values[i] - m) / (constant * deviation);
  }
  return out;
}

export const cciIndicator = defineIndicator({
  type: 'cci',
  aliases: ['commoditychannelindex'],
  description: 'Commodity channel index of the typical price (H+L+C)/3 by default, constant 0.015.',
  outputs: ['value'],
  params: z.strictObject({ period: periodParam(20), constant: positiveParam(0.015), source: sourceParam('typical') }),
  defaultId: (p) => withSource(`cci_${idNumber(p.period)}${p.constant === 0.015 ? '' : `_${idNumber(p.constant)}`}`, p.source, 'typical'),
  compute: (series, p) => ({ value: cci(sourceValues(series, p.source), p.period, p.constant) }),
});
