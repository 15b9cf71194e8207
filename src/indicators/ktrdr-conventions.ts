import type { OhlcvSeries } from '../data/ohlcv.js';
import { bollinger } from './bollinger.js';
import type { ChannelOutputs } from './channels.js';
import { fisherTransform } from './oscillators.js';
import { ewmMean, ewmRecursive } from './pandas-ewm.js';
import { sourceValues, type Source } from './params.js';
import { rollingMax, rollingMin, sma } from './rolling.js';
import { KELTNER_ATR_PERIOD, squeezeFromBands } from './squeeze.js';
import { supertrendFromAtr } from './supertrend.js';
import type { OutputSelection } from './types.js';

/**
 * The original system's indicator formulas (its pandas code, reference §3.2), for strategies that declare
 * `conventions: ktrdr` so that a migrated strategy trains on the features it had. Each variant takes the registry
 * indicator's parameters (already validated by its schema) and returns the same outputs in the same order; only the
 * arithmetic differs. Indicators not listed here are computed the same way under both conventions.
 *
 * - `bbands`, `bollingerbandwidth`: sample standard deviation (÷(n − 1)); bandwidth is 0 where |middle| ≤ 1e−10.
 * - `ema`: pandas `ewm(span, adjust=True)`, a value from bar 0 (no SMA seed, no warm-up).
 * - `macd`: line = ewm(fast) − ewm(slow), signal = ewm(line), all `adjust=False` seeded with bar 0; no warm-up.
 * - `atr`: TR[0] = H − L; ATR = the simple rolling mean of TR (not Wilder's smoothing), first at bar period − 1.
 * - `adx`: TR[0] = H − L and DM[0] = 0; TR, +DM, −DM smoothed by `ewm(alpha = 1/period, adjust=False)` from bar 0;
 *   DI± = 100·DM/TR (0 where TR is 0); DX = 100·|DI+ − DI−|/(DI+ + DI−) (0 where the sum is 0); ADX = the same
 *   smoothing of DX. No warm-up (early values are biased low, as in the original).
 * - `stochastic`: raw %K = 100·(C − LL)/(HH − LL) with NaN (warm-up or a flat window) → 50; slow %K = rolling mean
 *   of raw %K over `smooth` bars and slow %D = rolling mean of slow %K over `signal` bars, both with pandas'
 *   `min_periods=1` (partial windows at the start); no warm-up.
 * - `keltner`: middle = `ewm(span=period, adjust=False)` of the source seeded with bar 0; bands ± multiplier · the
 *   original ATR (simple mean of TR over `atr_period`).
 * - `supertrend`: the ratchet on the original ATR (simple mean of TR). The original's ratchet never left the NaN
 *   warm-up (every `trend` NaN); that defect is not reproduced: the ratchet starts at the first bar with an ATR.
 * - `squeezeintensity`: bands with the sample SD, channel as `keltner` above with ATR period 10; undefined bars
 *   (warm-up) are 0.
 * - `fishertransform`: fisher = `ewm(span=smoothing, adjust=False)` of the raw transform, seeded with its first value.
 * - `volumeratio`: 1.0 where the volume SMA is undefined (warm-up) or |SMA| ≤ 1e−10.
 */
export type Conventions = 'ttr' | 'ktrdr';

/** A variant computes every output (the `outputs` selection of `IndicatorDefinition.compute` is only a hint). */
type Variant = (series: OhlcvSeries, params: Record<string, unknown>, outputs?: OutputSelection) => Record<string, Float64Array>;

const source = (series: OhlcvSeries, params: Record<string, unknown>) => sourceValues(series, params.source as Source);
const num = (params: Record<string, unknown>, key: string) => params[key] as number;

export const KTRDR_VARIANTS: ReadonlyMap<string, Variant> = new Map<string, Variant>([
  ['bbands', (series, p) => ({ ...bollinger(source(series, p), num(p, 'period'), num(p, 'multiplier'), 'sample') })],
  ['bollingerbandwidth', (series, p) => ({ value: ktrdrBandwidth(source(series, p), num(p, 'period'), num(p, 'multiplier')) })],
  ['ema', (series, p) => ({ value: ewmMean(source(series, p), num(p, 'period')) })],
  ['macd', (series, p) => ktrdrMacd(source(series, p), num(p, 'fast'), num(p, 'slow'), num(p, 'signal'))],
  [
    'atr',
    (series, p) => {
      const tr = ktrdrTrueRange(series);
      return { atr: sma(tr, num(p, 'period')), tr };
    },
  ],
  ['adx', (series, p) => ktrdrAdx(series, num(p, 'period'))],
  ['stochastic', (series, p) => ktrdrStochastic(series, num(p, 'period'), num(p, 'smooth'), num(p, 'signal'))],
  ['keltner', (series, p) => ({ ...ktrdrKeltner(series, source(series, p), num(p, 'period'), num(p, 'atr_period'), num(p, 'multiplier')) })],
  ['supertrend', (series, p) => ({ ...supertrendFromAtr(series, sma(ktrdrTrueRange(series), num(p, 'period')), num(p, 'multiplier')) })],
  [
    'squeezeintensity',
    (series, p) => {
      const values = source(series, p);
      const bands = bollinger(values, num(p, 'bb_period'), num(p, 'bb_multiplier'), 'sample');
      const channel = ktrdrKeltner(series, values, num(p, 'kc_period'), KELTNER_ATR_PERIOD, num(p, 'kc_multiplier'));
      return { value: squeezeFromBands(bands, channel).map((v) => (Number.isNaN(v) ? 0 : v)) };
    },
  ],
  [
    'fishertransform',
    (series, p) => ({ ...fisherTransform(series, num(p, 'period'), num(p, 'smoothing'), (raw, span) => ewmRecursive(raw, 2 / (span + 1))) }),
  ],
  ['volumeratio', (series, p) => ({ value: ktrdrVolumeRatio(series.volume, num(p, 'period')) })],
]);

/** The compute function for an indicator type under the given conventions (the registry's own for `ttr`). */
export function conventionVariant(type: string, conventions: Conventions): Variant | undefined {
  return conventions === 'ktrdr' ? KTRDR_VARIANTS.get(type) : undefined;
}

export function ktrdrTrueRange(series: OhlcvSeries): Float64Array {
  const { high, low, close } = series;
  const tr = new Float64Array(close.length);
  if (close.length > 0) tr[0] = high[0] - low[0];
  for (let i = 1; i < close.length; i++) tr[i] = Math.max(high[i] - low[i], Math.abs(high[i] - close[i - 1]), Math.abs(low[i] - close[i - 1]));
  return tr;
}

export function ktrdrKeltner(series: OhlcvSeries, values: Float64Array, period: number, atrPeriod: number, multiplier: number): ChannelOutputs {
  const middle = ewmRecursive(values, 2 / (period + 1));
  const range = sma(ktrdrTrueRange(series), atrPeriod);
  return {
    upper: Float64Array.from(middle, (m, i) => m + multiplier * range[i]),
    middle,
    lower: Float64Array.from(middle, (m, i) => m - multiplier * range[i]),
  };
}

function ktrdrVolumeRatio(volume: Float64Array, period: number): Float64Array {
  const average = sma(volume, period);
  return Float64Array.from(volume, (v, i) => (Number.isNaN(average[i]) || Math.abs(average[i]) <= 1e-10 ? 1 : v / average[i]));
}

function ktrdrBandwidth(values: Float64Array, period: number, multiplier: number): Float64Array {
  const { upper, middle, lower } = bollinger(values, period, multiplier, 'sample');
  return Float64Array.from(middle, (mid, i) => (Number.isNaN(mid) ? NaN : Math.abs(mid) <= 1e-10 ? 0 : (upper[i] - lower[i]) / mid));
}

export function ktrdrMacd(values: Float64Array, fast: number, slow: number, signal: number): Record<'line' | 'signal' | 'histogram', Float64Array> {
  const fastEma = ewmRecursive(values, 2 / (fast + 1));
  const slowEma = ewmRecursive(values, 2 / (slow + 1));
  const line = Float64Array.from(fastEma, (f, i) => f - slowEma[i]);
  const signalLine = ewmRecursive(line, 2 / (signal + 1));
  return { line, signal: signalLine, histogram: Float64Array.from(line, (l, i) => l - signalLine[i]) };
}

export function ktrdrAdx(series: OhlcvSeries, period: number): Record<'adx' | 'plus_di' | 'minus_di' | 'dx', Float64Array> {
  const { high, low } = series;
  const n = high.length;
  const plusDm = new Float64Array(n);
  const minusDm = new Float64Array(n);
  for (let i = 1; i < n; i++) {
    const up = high[i] - high[i - 1];
    const down = low[i - 1] - low[i];
    plusDm[i] = up > down && up > 0 ? up : 0;
    minusDm[i] = down > up && down > 0 ? down : 0;
  }
  const alpha = 1 / period;
  const tr = ewmRecursive(ktrdrTrueRange(series), alpha);
  const plus = ewmRecursive(plusDm, alpha);
  const minus = ewmRecursive(minusDm, alpha);
  const plusDi = Float64Array.from(plus, (p, i) => (tr[i] === 0 ? 0 : (100 * p) / tr[i]));
  const minusDi = Float64Array.from(minus, (m, i) => (tr[i] === 0 ? 0 : (100 * m) / tr[i]));
  const dx = Float64Array.from(plusDi, (p, i) => (p + minusDi[i] === 0 ? 0 : (100 * Math.abs(p - minusDi[i])) / (p + minusDi[i])));
  return { adx: ewmRecursive(dx, alpha), plus_di: plusDi, minus_di: minusDi, dx };
}

export function ktrdrStochastic(
  series: OhlcvSeries,
  period: number,
  smooth: number,
  signal: number,
): Record<'fast_k' | 'slow_k' | 'slow_d', Float64Array> {
  const highest = rollingMax(series.high, period);
  const lowest = rollingMin(series.low, period);
  const fastK = Float64Array.from(series.close, (c, i) => {
    const k = (100 * (c - lowest[i])) / (highest[i] - lowest[i]);
    return Number.isFinite(k) ? k : 50;
  });
  const slowK = smooth > 1 ? partialMean(fastK, smooth) : fastK;
  return { fast_k: fastK, slow_k: slowK, slow_d: partialMean(slowK, signal) };
}

/** pandas `rolling(period, min_periods=1).mean()`: the mean of the up to `period` values ending at each bar. */
function partialMean(values: Float64Array, period: number): Float64Array {
  const out = new Float64Array(values.length);
  let sum = 0;
  for (let i = 0; i < values.length; i++) {
    sum += values[i];
    if (i >= period) sum -= values[i - period];
    out[i] = sum / Math.min(i + 1, period);
  }
  return out;
}
