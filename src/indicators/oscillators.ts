import { z } from 'zod';
import type { OhlcvSeries } from '../data/ohlcv.js';
import { idNumber, periodParam } from './params.js';
import { ema, nanArray, rollingMax, rollingMin, sma } from './rolling.js';
import { defineIndicator } from './types.js';

export type RviOutputs = Record<'rvi' | 'signal', Float64Array>;
export type FisherOutputs = Record<'fisher' | 'signal', Float64Array>;

/**
 * Ehlers' relative vigor index. CO = C − O and HL = H − L are each smoothed with the symmetric 1-2-2-1 weights over
 * the last four bars (÷6), so the first weighted value is at bar 3; rvi = Σ_period weighted CO / Σ_period weighted HL,
 * first value at bar period + 2. signal = SMA(rvi, signal_period), first value at bar period + signal_period + 1:
 * the original's simple mean, kept so its `signal_period` still means something (Ehlers' own signal is the 1-2-2-1
 * weighting of rvi, which is signal_period 4 with other weights). A window in which every bar has H == L has no
 * vigor either way and gives 0 (the original: NaN); that is decided by counting ranged bars, not by a running sum.
 */
export function rvi(series: OhlcvSeries, period: number, signalPeriod: number): RviOutputs {
  const { open, high, low, close } = series;
  const n = close.length;
  const co = new Float64Array(n);
  const hl = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    co[i] = close[i] - open[i];
    hl[i] = high[i] - low[i];
  }
  const num = new Float64Array(n);
  const den = new Float64Array(n);
  const value = nanArray(n);
  let numSum = 0;
  let denSum = 0;
  let ranged = 0;
  for (let i = 3; i < n; i++) {
    num[i] = (co[i] + 2 * co[i - 1] + 2 * co[i - 2] + co[i - 3]) / 6;
    den[i] = (hl[i] + 2 * hl[i - 1] + 2 * hl[i - 2] + hl[i - 3]) / 6;
    numSum += num[i];
    denSum += den[i];
    if (den[i] !== 0) ranged++;
    if (i >= period + 3) {
      numSum -= num[i - period];
      denSum -= den[i - period];
      if (den[i - period] !== 0) ranged--;
    }
    if (i >= period + 2) value[i] = ranged === 0 ? 0 : numSum / denSum;
  }
  return { rvi: value, signal: sma(value, signalPeriod) };
}

/**
 * Fisher transform of the bar midpoint's position in its recent range (the original's formulation).
 * x = 2·((H + L)/2 − LL)/(HH − LL) − 1 with HH/LL the highest high and lowest low of the last `period` bars (current
 * bar included), 0 when HH == LL, clipped to ±0.999; raw = ½·ln((1 + x)/(1 − x)); fisher = EMA(raw, smoothing), which
 * is this project's SMA-seeded EMA (α = 2/(smoothing + 1)), so the first value is at bar period + smoothing − 2 (the
 * original seeded it at the first raw value). signal = fisher one bar earlier. Ehlers' recursive variant (smoothing x
 * and adding half the previous fisher) is a different indicator.
 */
export function fisherTransform(
  series: OhlcvSeries,
  period: number,
  smoothing: number,
  smooth: (raw: Float64Array, span: number) => Float64Array = ema,
): FisherOutputs {
  const { high, low } = series;
  const n = high.length;
  const highest = rollingMax(high, period);
  const lowest = rollingMin(low, period);
  const raw = nanArray(n);
  for (let i = 0; i < n; i++) {
    if (Number.isNaN(highest[i])) continue;
    const range = highest[i] - lowest[i];
    let x = range === 0 ? 0 : (2 * ((high[i] + low[i]) / 2 - lowest[i])) / range - 1;
    if (x > 0.999) x = 0.999;
    else if (x < -0.999) x = -0.999;
    raw[i] = 0.5 * Math.log((1 + x) / (1 - x));
  }
  const fisher = smooth(raw, smoothing);
  const signal = nanArray(n);
  for (let i = 1; i < n; i++) signal[i] = fisher[i - 1];
  return { fisher, signal };
}

export const rviIndicator = defineIndicator({
  type: 'rvi',
  aliases: ['relativevigorindex'],
  description: 'Relative vigor index (1-2-2-1 weighted close−open over high−low, summed over `period`) and its SMA signal.',
  outputs: ['rvi', 'signal'],
  params: z.strictObject({ period: periodParam(10), signal_period: periodParam(4) }),
  defaultId: (p) => `rvi_${idNumber(p.period)}_${idNumber(p.signal_period)}`,
  compute: (series, p) => rvi(series, p.period, p.signal_period),
});

export const fisherTransformIndicator = defineIndicator({
  type: 'fishertransform',
  aliases: ['fisher'],
  description: "Fisher transform of the bar midpoint's place in the `period`-bar range, EMA-smoothed; signal = previous bar.",
  outputs: ['fisher', 'signal'],
  params: z.strictObject({ period: periodParam(10), smoothing: periodParam(3) }),
  defaultId: (p) => `fishertransform_${idNumber(p.period)}_${idNumber(p.smoothing)}`,
  compute: (series, p) => fisherTransform(series, p.period, p.smoothing),
});
