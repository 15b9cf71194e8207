import { z } from 'zod';
import { idNumber, periodParam, sourceParam, sourceValues, withSource } from './params.js';
import { ema } from './rolling.js';
import { defineIndicator } from './types.js';

export interface MacdOutputs {
  line: Float64Array;
  signal: Float64Array;
  histogram: Float64Array;
}

/**
 * MACD in price units (TTR `percent = FALSE`): each EMA SMA-seeded at its own start, so the line starts at bar
 * slow − 1 and the signal, an EMA of the line seeded with the mean of its first `signal` values, at slow + signal − 2.
 * TA-Lib shifts the fast EMA's seed to line up with the slow one; the values agree once the seeds have decayed.
 */
export function macd(values: Float64Array, fast: number, slow: number, signal: number): MacdOutputs {
  const fastEma = ema(values, fast);
  const slowEma = ema(values, slow);
  const line = new Float64Array(values.length);
  for (let i = 0; i < line.length; i++) line[i] = fastEma[i] - slowEma[i];
  const signalLine = ema(line, signal);
  const histogram = new Float64Array(values.length);
  for (let i = 0; i < histogram.length; i++) histogram[i] = line[i] - signalLine[i];
  return { line, signal: signalLine, histogram };
}

export const macdIndicator = defineIndicator({
  type: 'macd',
  description: 'Moving average convergence/divergence: fast EMA − slow EMA (price units), its signal EMA and the histogram.',
  outputs: ['line', 'signal', 'histogram'],
  paramAliases: { fast_period: 'fast', slow_period: 'slow', signal_period: 'signal' },
  params: z
    .strictObject({ fast: periodParam(12), slow: periodParam(26), signal: periodParam(9), source: sourceParam() })
    .refine((p) => p.fast < p.slow, { message: 'fast must be shorter than slow', path: ['fast'] }),
  defaultId: (p) => withSource(`macd_${idNumber(p.fast)}_${idNumber(p.slow)}_${idNumber(p.signal)}`, p.source),
  compute: (series, p) => {
    const { line, signal, histogram } = macd(sourceValues(series, p.source), p.fast, p.slow, p.signal);
    return { line, signal, histogram };
  },
});
