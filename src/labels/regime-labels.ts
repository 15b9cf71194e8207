import type { OhlcvSeries } from '../data/ohlcv.js';
import { trueRange } from '../indicators/atr.js';
import { sma } from '../indicators/rolling.js';
import { PIVOT_HIGH, PIVOT_LOW, findPivots, type Pivots } from '../indicators/zigzag.js';
import type { LabelSet } from './label-set.js';
import { invalidLabelParams, requireBars, requireNonZeroCloses } from './label-params.js';
import { logReturns } from './volatility.js';

/** Regime classes in index order (the original's numbering). */
export const REGIME_CLASSES = ['TRENDING_UP', 'TRENDING_DOWN', 'RANGING', 'VOLATILE'] as const;

const TRENDING_UP = 0;
const TRENDING_DOWN = 1;
const RANGING = 2;
const VOLATILE = 3;

export interface RegimeLabelOptions {
  /** Macro ZigZag threshold = this × median ATR / median close: the swings that define regimes. */
  readonly macroAtrMult: number;
  /** Micro ZigZag threshold, the same way: the swings inside a regime that show progression. */
  readonly microAtrMult: number;
  /** Period of the simple moving average of true range. */
  readonly atrPeriod: number;
  /** L: bars in each realised-volatility window (backward and forward). */
  readonly volLookback: number;
  /** VOLATILE when forward RV / backward RV exceeds this. */
  readonly volCrisisThreshold: number;
  /** Fraction of higher lows (up swings) or lower highs (down swings) a trend needs, 0 < x ≤ 1. */
  readonly progressionTolerance: number;
}

/**
 * Multi-scale regime labels (4 classes). Conventions:
 * - True range has TR[0] = H − L and ATR is its simple moving average (the original's conventions); the ZigZag
 *   thresholds are mult × median(ATR) / median(C), and both ZigZags run on closes with the original labeler's rules.
 * - Each macro segment [e_j, e_{j+1}) between consecutive macro pivots is one regime candidate; bars after the last
 *   pivot belong to no segment.
 * - Realised volatility is the sample std of log returns: backward over the L returns ending at bar t, forward over
 *   the L returns after it. A bar is VOLATILE when forward / backward > the crisis threshold (a zero backward RV with
 *   a positive forward RV counts as a crisis). Bars without a full window on either side stay unlabelled.
 * - Otherwise the segment's micro pivots decide: a rising segment is TRENDING_UP when at least `progressionTolerance`
 *   of its consecutive micro lows are higher lows, a falling one TRENDING_DOWN on lower highs; else RANGING. A segment
 *   with fewer than two micro lows (or highs) moved without a pullback and counts as progressing.
 * - `lastBarRead`: a segment's end pivot is only confirmed later, by the reversal that creates the next pivot, so a
 *   label reads up to the pivot after its segment's end (the end of the data for the last two segments), and at least
 *   its forward volatility window.
 */
export function regimeLabels(series: OhlcvSeries, options: RegimeLabelOptions): LabelSet {
  checkOptions(options);
  const { volLookback: lookback } = options;
  requireBars('regime', series, 2 * lookback + 1);
  const close = series.close;
  requireNonZeroCloses('regime', close);
  const n = close.length;

  const tr = trueRange(series);
  tr[0] = series.high[0] - series.low[0];
  const scale = median(sma(tr, options.atrPeriod)) / median(close);
  const macro = findPivots(series, { threshold: swingThreshold('macro_atr_mult', options.macroAtrMult, scale), price: 'close' });
  const micro = findPivots(series, { threshold: swingThreshold('micro_atr_mult', options.microAtrMult, scale), price: 'close' });
  const returns = logReturns(close);

  const values = new Float64Array(n).fill(NaN);
  const lastBarRead = new Int32Array(n).fill(-1);
  let filtered = 0;
  const pivots = distinctPivots(macro);
  for (let k = 0; k + 1 < pivots.length; k++) {
    const start = pivots[k];
    const end = pivots[k + 1];
    const confirmedBy = k + 2 < pivots.length ? pivots[k + 2] : n - 1;
    const trend = close[end] > close[start] ? progression(micro, start, end, PIVOT_LOW, 1) : progression(micro, start, end, PIVOT_HIGH, -1);
    const trendClass = trend >= options.progressionTolerance ? (close[end] > close[start] ? TRENDING_UP : TRENDING_DOWN) : RANGING;
    for (let t = start; t < end; t++) {
      if (t < lookback || t + lookback > n - 1) {
        if (t < lookback) filtered++;
        continue;
      }
      const backward = sampleStd(returns, t - lookback + 1, t + 1);
      const forward = sampleStd(returns, t + 1, t + lookback + 1);
      const crisis = backward === 0 ? forward > 0 : forward / backward > options.volCrisisThreshold;
      values[t] = crisis ? VOLATILE : trendClass;
      lastBarRead[t] = Math.max(t + lookback, confirmedBy);
    }
  }
  let labelled = 0;
  for (const value of values) if (!Number.isNaN(value)) labelled++;
  return { classes: REGIME_CLASSES, values, lastBarRead, unlabelled: { beyondData: n - labelled - filtered, filtered } };
}

function checkOptions(options: RegimeLabelOptions): void {
  const positive = {
    macro_atr_mult: options.macroAtrMult,
    micro_atr_mult: options.microAtrMult,
    vol_crisis_threshold: options.volCrisisThreshold,
  };
  for (const [key, value] of Object.entries(positive)) {
    if (!(value > 0 && Number.isFinite(value))) throw invalidLabelParams('regime', `${key} must be > 0, got ${value}`, { [key]: value });
  }
  const counts = { atr_period: options.atrPeriod, vol_lookback: options.volLookback };
  for (const [key, value] of Object.entries(counts)) {
    if (!Number.isInteger(value) || value < 2) throw invalidLabelParams('regime', `${key} must be an integer ≥ 2, got ${value}`, { [key]: value });
  }
  const tolerance = options.progressionTolerance;
  if (!(tolerance > 0 && tolerance <= 1)) {
    throw invalidLabelParams('regime', `progression_tolerance must be in (0, 1], got ${tolerance}`, { progression_tolerance: tolerance });
  }
}

function swingThreshold(key: string, multiplier: number, scale: number): number {
  const threshold = multiplier * scale;
  if (!(threshold > 0 && threshold < 1)) {
    throw invalidLabelParams('regime', `${key} × median ATR / median close = ${threshold}; a ZigZag threshold must be between 0 and 1`, {
      [key]: multiplier,
      threshold,
    });
  }
  return threshold;
}

/** Pivot bars in order, each once (an outside bar can be both a high and a low pivot). */
function distinctPivots(pivots: Pivots): number[] {
  const bars: number[] = [];
  for (const index of pivots.indices) if (bars.length === 0 || bars[bars.length - 1] !== index) bars.push(index);
  return bars;
}

/** Share of consecutive micro pivots of `kind` in [start, end] that move in `direction` (1 higher, −1 lower). */
function progression(micro: Pivots, start: number, end: number, kind: number, direction: 1 | -1): number {
  let previous = NaN;
  let pairs = 0;
  let progressing = 0;
  for (let k = 0; k < micro.indices.length; k++) {
    const index = micro.indices[k];
    if (index < start || index > end || micro.kinds[k] !== kind) continue;
    const price = micro.prices[k];
    if (!Number.isNaN(previous)) {
      pairs++;
      if ((price - previous) * direction > 0) progressing++;
    }
    previous = price;
  }
  return pairs === 0 ? 1 : progressing / pairs;
}

/** Sample (n − 1) standard deviation of values[from, to). */
function sampleStd(values: Float64Array, from: number, to: number): number {
  const count = to - from;
  let mean = 0;
  for (let i = from; i < to; i++) mean += values[i];
  mean /= count;
  let squares = 0;
  for (let i = from; i < to; i++) squares += (values[i] - mean) * (values[i] - mean);
  return Math.sqrt(squares / (count - 1));
}

/** Median of the non-NaN values (mean of the middle two for an even count); NaN when there are none. */
function median(values: Float64Array): number {
  const finite = values.filter((v) => !Number.isNaN(v)).sort();
  if (finite.length === 0) return NaN;
  const mid = finite.length >> 1;
  return finite.length % 2 === 1 ? finite[mid] : (finite[mid - 1] + finite[mid]) / 2;
}
