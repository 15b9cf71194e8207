import { z } from 'zod';
import type { OhlcvSeries } from '../data/ohlcv.js';
import { idNumber, periodParam, sourceParam, sourceValues, withSource } from './params.js';
import { momentum, roc } from './momentum.js';
import { distanceFromMa } from './ratios.js';
import { nanArray, sma } from './rolling.js';
import { defineIndicator } from './types.js';

/**
 * On-balance volume, starting at +volume[0] as TTR and TA-Lib do, then ± volume by the sign of the close change.
 * Other libraries start at 0 or at bar 1; the increments are the same everywhere, only the offset differs.
 */
export function obv(series: OhlcvSeries): Float64Array {
  const { close, volume } = series;
  const n = close.length;
  const out = nanArray(n);
  if (n === 0) return out;
  let total = volume[0];
  out[0] = total;
  for (let i = 1; i < n; i++) {
    if (close[i] > close[i - 1]) total += volume[i];
    else if (close[i] < close[i - 1]) total -= volume[i];
    out[i] = total;
  }
  return out;
}

/**
 * Money flow index over `period` bars of typical-price money flow (TP·V). A bar whose TP equals the previous TP
 * counts as neither flow. Negative flow 0 gives 100; a window with no flow at all (flat TP or zero volume) gives 50.
 * Nonzero-flow counts are kept next to the running sums so "no flow" is detected exactly, not as a drifted 1e-7.
 */
export function mfi(series: OhlcvSeries, period: number): Float64Array {
  const { high, low, close, volume } = series;
  const n = close.length;
  const out = nanArray(n);
  if (period >= n) return out;
  // The last `period` flows, as rings, so leaving values can be subtracted without full-length flow arrays.
  const positive = new Float64Array(period);
  const negative = new Float64Array(period);
  let posSum = 0;
  let negSum = 0;
  let posCount = 0;
  let negCount = 0;
  let prevTp = (high[0] + low[0] + close[0]) / 3;
  for (let i = 1; i < n; i++) {
    const slot = i % period;
    const leavingPos = positive[slot];
    const leavingNeg = negative[slot];
    posSum -= leavingPos;
    negSum -= leavingNeg;
    if (leavingPos !== 0) posCount--;
    if (leavingNeg !== 0) negCount--;
    const tp = (high[i] + low[i] + close[i]) / 3;
    const flow = tp * volume[i];
    const pos = tp > prevTp ? flow : 0;
    const neg = tp < prevTp ? flow : 0;
    positive[slot] = pos;
    negative[slot] = neg;
    posSum += pos;
    negSum += neg;
    if (pos !== 0) posCount++;
    if (neg !== 0) negCount++;
    prevTp = tp;
    if (i < period) continue;
    if (negCount === 0) out[i] = posCount === 0 ? 50 : 100;
    else if (posCount === 0) out[i] = 0;
    else out[i] = 100 - 100 / (1 + posSum / negSum);
  }
  return out;
}

/**
 * Volume-weighted average of the source over the last `period` bars (`period` 0: cumulative from bar 0). Without
 * any volume in the window the average is undefined, so it is NaN: there is no price to fall back on that would not
 * silently turn this into a different indicator.
 */
export function vwap(prices: Float64Array, volume: Float64Array, period: number): Float64Array {
  const n = prices.length;
  const out = nanArray(n);
  const window = period === 0 ? n + 1 : period;
  let weighted = 0;
  let total = 0;
  let traded = 0;
  for (let i = 0; i < n; i++) {
    weighted += prices[i] * volume[i];
    total += volume[i];
    if (volume[i] !== 0) traded++;
    if (i >= window) {
      weighted -= prices[i - window] * volume[i - window];
      total -= volume[i - window];
      if (volume[i - window] !== 0) traded--;
    }
    if (period !== 0 && i < period - 1) continue;
    if (traded > 0) out[i] = weighted / total;
  }
  return out;
}

/**
 * Chaikin money flow: Σ(close location value · V)/ΣV over `period` bars, with CLV = ((C − L) − (H − C))/(H − L).
 * A bar with H == L has CLV 0 (TTR's rule), and a window without volume gives 0: no money flowed either way.
 */
export function cmf(series: OhlcvSeries, period: number): Float64Array {
  const { high, low, close, volume } = series;
  const n = close.length;
  const out = nanArray(n);
  let flowSum = 0;
  let volumeSum = 0;
  let traded = 0;
  const flow = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const range = high[i] - low[i];
    const clv = range === 0 ? 0 : (close[i] - low[i] - (high[i] - close[i])) / range;
    flow[i] = clv * volume[i];
    flowSum += flow[i];
    volumeSum += volume[i];
    if (volume[i] !== 0) traded++;
    if (i >= period) {
      flowSum -= flow[i - period];
      volumeSum -= volume[i - period];
      if (volume[i - period] !== 0) traded--;
    }
    if (i < period - 1) continue;
    out[i] = traded === 0 ? 0 : flowSum / volumeSum;
  }
  return out;
}

export type AdLineOutputs = Record<'line' | 'mf_multiplier' | 'mf_volume' | 'roc_10' | 'momentum_21' | 'relative_strength', Float64Array>;

/**
 * Chaikin's accumulation/distribution line (TTR `chaikinAD`), with the original's companion outputs.
 *
 * - mf_multiplier: the close location value ((C − L) − (H − C))/(H − L), −1..1; 0 when H == L (TTR's rule).
 * - mf_volume: mf_multiplier · V.
 * - line: the running sum of mf_volume from bar 0, so its level depends on where the data starts (as OBV's does);
 *   only its changes carry information. With `smoothing_period` > 0 (`use_sma_smoothing: true`) it is the SMA of that
 *   sum instead, NaN for the first smoothing_period − 1 bars; the original declared this option but crashed on it.
 * - roc_10: 100 · (line/line₋₁₀ − 1), NaN for the first 10 bars and where line₋₁₀ is 0 (as `roc`).
 * - momentum_21: line − line₋₂₁, NaN for the first 21 bars.
 * - relative_strength: 100 · (line/SMA₅₀(line) − 1) (as `distancefromma`), first value at bar 49; the original used
 *   partial windows from 20 bars, which this project never does.
 * All of them are computed from `line`, smoothed or not.
 */
export function adLine(series: OhlcvSeries, smoothingPeriod = 0): AdLineOutputs {
  const { high, low, close, volume } = series;
  const n = close.length;
  const multiplier = new Float64Array(n);
  const flow = new Float64Array(n);
  const cumulative = new Float64Array(n);
  let total = 0;
  for (let i = 0; i < n; i++) {
    const range = high[i] - low[i];
    multiplier[i] = range === 0 ? 0 : (close[i] - low[i] - (high[i] - close[i])) / range;
    flow[i] = multiplier[i] * volume[i];
    total += flow[i];
    cumulative[i] = total;
  }
  const line = smoothingPeriod > 0 ? sma(cumulative, smoothingPeriod) : cumulative;
  return {
    line,
    mf_multiplier: multiplier,
    mf_volume: flow,
    roc_10: roc(line, 10),
    momentum_21: momentum(line, 21),
    relative_strength: distanceFromMa(line, 50, 'sma'),
  };
}

export const obvIndicator = defineIndicator({
  type: 'obv',
  aliases: ['onbalancevolume'],
  description: 'On-balance volume, starting at +volume of bar 0.',
  outputs: ['value'],
  params: z.strictObject({}),
  defaultId: () => 'obv',
  compute: (series) => ({ value: obv(series) }),
});

export const mfiIndicator = defineIndicator({
  type: 'mfi',
  aliases: ['moneyflowindex'],
  description: 'Money flow index (0..100) of typical-price money flow; 50 when no money flows.',
  outputs: ['value'],
  params: z.strictObject({ period: periodParam(14) }),
  defaultId: (p) => `mfi_${idNumber(p.period)}`,
  compute: (series, p) => ({ value: mfi(series, p.period) }),
});

export const vwapIndicator = defineIndicator({
  type: 'vwap',
  aliases: ['volumeweightedaverageprice'],
  description: 'Rolling volume-weighted average price of the typical price (`period` 0: cumulative); NaN without volume.',
  outputs: ['value'],
  params: z.strictObject({ period: periodParam(20, 0), source: sourceParam('typical') }),
  defaultId: (p) => withSource(`vwap_${idNumber(p.period)}`, p.source, 'typical'),
  compute: (series, p) => ({ value: vwap(sourceValues(series, p.source), series.volume, p.period) }),
});

export const cmfIndicator = defineIndicator({
  type: 'cmf',
  aliases: ['chaikinmoneyflow'],
  description: 'Chaikin money flow over `period` bars (−1..1); 0 for a window without volume.',
  outputs: ['value'],
  params: z.strictObject({ period: periodParam(20) }),
  defaultId: (p) => `cmf_${idNumber(p.period)}`,
  compute: (series, p) => ({ value: cmf(series, p.period) }),
});

export const adLineIndicator = defineIndicator({
  type: 'adline',
  aliases: ['accumulationdistribution', 'accumulationdistributionline', 'chaikinad'],
  description: 'Accumulation/distribution line (cumulative close-location-weighted volume) with its ROC, momentum and relative strength.',
  outputs: ['line', 'mf_multiplier', 'mf_volume', 'roc_10', 'momentum_21', 'relative_strength'],
  params: z.strictObject({ use_sma_smoothing: z.boolean().default(false), smoothing_period: periodParam(21) }),
  defaultId: (p) => (p.use_sma_smoothing ? `adline_sma${idNumber(p.smoothing_period)}` : 'adline'),
  compute: (series, p) => adLine(series, p.use_sma_smoothing ? p.smoothing_period : 0),
});
