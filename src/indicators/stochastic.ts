import { z } from 'zod';
import type { OhlcvSeries } from '../data/ohlcv.js';
import { idNumber, periodParam } from './params.js';
import { firstValid, nanArray, rollingMax, rollingMin, SlidingExtreme, sma } from './rolling.js';
import { computedOutputs, defineIndicator, isSelected, type OutputSelection } from './types.js';

export type StochasticOutputs = Record<'fast_k' | 'slow_k' | 'slow_d', Float64Array>;

/**
 * Position of the close in the high–low range of the last `period` bars (current bar included), 0..100.
 * A flat window (highest high == lowest low) gives 50: the close is both at the top and at the bottom of the range,
 * so the neutral midpoint is the only value that favours neither. TTR gives NaN, TA-Lib 0.
 */
export function stochasticK(series: OhlcvSeries, period: number): Float64Array {
  const { high, low, close } = series;
  const n = close.length;
  const out = nanArray(n);
  // rollingMax(high) and rollingMin(low) in this loop, each from its own first valid bar as `rollingExtreme` does (so
  // the same values), instead of two full-length arrays read back afterwards.
  const highStart = firstValid(high);
  const lowStart = firstValid(low);
  const highs = new SlidingExtreme(high, period, 1);
  const lows = new SlidingExtreme(low, period, -1);
  for (let i = Math.min(highStart, lowStart); i < n; i++) {
    let highest = NaN;
    let lowest = NaN;
    if (i >= highStart) {
      const at = highs.push(i);
      if (i >= highStart + period - 1) highest = high[at];
    }
    if (i >= lowStart) {
      const at = lows.push(i);
      if (i >= lowStart + period - 1) lowest = low[at];
    }
    if (i >= period - 1) {
      const range = highest - lowest;
      out[i] = range === 0 ? 50 : (100 * (close[i] - lowest)) / range;
    }
  }
  return out;
}

/**
 * Stochastic(period, smooth, signal) on the 0..100 scale: fast %K; slow %K = SMA(fast %K, smooth); slow %D =
 * SMA(slow %K, signal). These are TTR's fastK/fastD/slowD and TA-Lib STOCH's inputs/slowK/slowD.
 */
export function stochastic(series: OhlcvSeries, period: number, smooth: number, signal: number): StochasticOutputs {
  return stochasticColumns(series, period, smooth, signal, undefined) as StochasticOutputs;
}

/** `stochastic` computing only what the selected outputs need: fast %K always, slow %K for itself or for slow %D. */
export function stochasticColumns(
  series: OhlcvSeries,
  period: number,
  smooth: number,
  signal: number,
  outputs: OutputSelection,
): Partial<StochasticOutputs> {
  const fastK = stochasticK(series, period);
  const wantSlowD = isSelected(outputs, 'slow_d');
  const slowK = wantSlowD || isSelected(outputs, 'slow_k') ? sma(fastK, smooth) : undefined;
  return { fast_k: fastK, slow_k: slowK, slow_d: slowK && wantSlowD ? sma(slowK, signal) : undefined };
}

/**
 * Williams %R on the conventional −100..0 scale (0 = close at the highest high). A flat window gives −50, the same
 * neutral midpoint as the stochastic (and what TTR's 0/0 → 0.5 rule gives).
 */
export function williamsR(series: OhlcvSeries, period: number): Float64Array {
  const highest = rollingMax(series.high, period);
  const lowest = rollingMin(series.low, period);
  const { close } = series;
  const out = nanArray(close.length);
  for (let i = period - 1; i < close.length; i++) {
    const range = highest[i] - lowest[i];
    out[i] = range === 0 ? -50 : (-100 * (highest[i] - close[i])) / range;
  }
  return out;
}

export const stochasticIndicator = defineIndicator({
  type: 'stochastic',
  aliases: ['stoch'],
  description: 'Stochastic oscillator (0..100): fast %K over `period`, slow %K = SMA(`smooth`), slow %D = SMA(`signal`).',
  outputs: ['fast_k', 'slow_k', 'slow_d'],
  paramAliases: { k_period: 'period', d_period: 'signal', smooth_k: 'smooth' },
  params: z.strictObject({ period: periodParam(14), smooth: periodParam(3), signal: periodParam(3) }),
  defaultId: (p) => `stochastic_${idNumber(p.period)}_${idNumber(p.smooth)}_${idNumber(p.signal)}`,
  compute: (series, p, outputs) => computedOutputs(stochasticColumns(series, p.period, p.smooth, p.signal, outputs)),
});

export const williamsRIndicator = defineIndicator({
  type: 'williamsr',
  aliases: ['willr', 'wpr', 'williams_r'],
  description: 'Williams %R (−100..0, 0 = close at the highest high of `period` bars).',
  outputs: ['value'],
  params: z.strictObject({ period: periodParam(14) }),
  defaultId: (p) => `williamsr_${idNumber(p.period)}`,
  compute: (series, p) => ({ value: williamsR(series, p.period) }),
});
