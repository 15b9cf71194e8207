import { z } from 'zod';
import type { OhlcvSeries } from '../data/ohlcv.js';
import { atr } from './atr.js';
import { idNumber, periodParam, positiveParam, sourceParam, sourceValues, withSource } from './params.js';
import { ema, rollingMax, rollingMin } from './rolling.js';
import { defineIndicator } from './types.js';

export type ChannelOutputs = Record<'upper' | 'middle' | 'lower', Float64Array>;

/** Highest high and lowest low of the last `period` bars (current bar included) and their midpoint. */
export function donchian(series: OhlcvSeries, period: number): ChannelOutputs {
  const upper = rollingMax(series.high, period);
  const lower = rollingMin(series.low, period);
  const middle = new Float64Array(upper.length);
  for (let i = 0; i < middle.length; i++) middle[i] = (upper[i] + lower[i]) / 2;
  return { upper, middle, lower };
}

/**
 * Keltner channels in the StockCharts form: EMA(source, period) ± multiplier · Wilder ATR(atrPeriod). TTR centres on
 * an EMA of the typical price with one shared period; `source: typical` with `atr_period` = `period` gives that.
 */
export function keltner(series: OhlcvSeries, values: Float64Array, period: number, atrPeriod: number, multiplier: number): ChannelOutputs {
  const middle = ema(values, period);
  const range = atr(series, atrPeriod);
  const n = middle.length;
  const upper = new Float64Array(n);
  const lower = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    upper[i] = middle[i] + multiplier * range[i];
    lower[i] = middle[i] - multiplier * range[i];
  }
  return { upper, middle, lower };
}

export const donchianIndicator = defineIndicator({
  type: 'donchian',
  aliases: ['donchianchannels', 'donchianchannel'],
  description: 'Donchian channel: highest high, lowest low and their midpoint over `period` bars.',
  outputs: ['upper', 'middle', 'lower'],
  params: z.strictObject({ period: periodParam(20) }),
  defaultId: (p) => `donchian_${idNumber(p.period)}`,
  compute: (series, p) => donchian(series, p.period),
});

export const keltnerIndicator = defineIndicator({
  type: 'keltner',
  aliases: ['keltnerchannels', 'keltnerchannel'],
  description: 'Keltner channels: EMA(source, `period`) ± `multiplier`·ATR(`atr_period`).',
  outputs: ['upper', 'middle', 'lower'],
  params: z.strictObject({
    period: periodParam(20),
    atr_period: periodParam(10),
    multiplier: positiveParam(2),
    source: sourceParam(),
  }),
  defaultId: (p) => withSource(`keltner_${idNumber(p.period)}_${idNumber(p.atr_period)}_${idNumber(p.multiplier)}`, p.source),
  compute: (series, p) => keltner(series, sourceValues(series, p.source), p.period, p.atr_period, p.multiplier),
});
