/**
 * Window kernels shared by the indicator families. Each is one pass over a typed array: running sums for means,
 * monotonic deques for extremes, recursive smoothing for EMAs. Windows start at the first non-NaN input, as TTR's
 * do, so a kernel can be fed another kernel's output (warm-up included).
 */

export function nanArray(length: number): Float64Array {
  return new Float64Array(length).fill(NaN);
}

/** Index of the first non-NaN value, or `values.length` when there is none. */
export function firstValid(values: Float64Array): number {
  let i = 0;
  while (i < values.length && Number.isNaN(values[i])) i++;
  return i;
}

export function sma(values: Float64Array, period: number): Float64Array {
  const n = values.length;
  const out = nanArray(n);
  const start = firstValid(values);
  const first = start + period - 1;
  if (first >= n) return out;
  let sum = 0;
  for (let i = start; i <= first; i++) sum += values[i];
  out[first] = sum / period;
  for (let i = first + 1; i < n; i++) {
    sum += values[i] - values[i - period];
    out[i] = sum / period;
  }
  return out;
}

/**
 * Exponential smoothing with weight `alpha` on the newest value, seeded with the simple mean of the first `period`
 * values and first defined at the end of that window. TTR, TA-Lib and Wilder all seed this way; seeding with the
 * first value instead leaves a visible bias for hundreds of bars.
 */
export function seededEma(values: Float64Array, period: number, alpha: number): Float64Array {
  const n = values.length;
  const out = nanArray(n);
  const start = firstValid(values);
  const first = start + period - 1;
  if (first >= n) return out;
  let sum = 0;
  for (let i = start; i <= first; i++) sum += values[i];
  let ema = sum / period;
  out[first] = ema;
  const keep = 1 - alpha;
  for (let i = first + 1; i < n; i++) {
    ema = values[i] * alpha + ema * keep;
    out[i] = ema;
  }
  return out;
}

export function ema(values: Float64Array, period: number): Float64Array {
  return seededEma(values, period, 2 / (period + 1));
}

/** Wilder's smoothing: an EMA with alpha = 1/period (RSI, ATR, ADX). */
export function wilderMean(values: Float64Array, period: number): Float64Array {
  return seededEma(values, period, 1 / period);
}

/**
 * Wilder's running sum used for directional movement: seeded with the plain sum of the first period − 1 values, then
 * S = S·(period − 1)/period + x. TTR's `wilderSum` and TA-Lib both do this; it is not the mean times `period`.
 */
export function wilderSum(values: Float64Array, period: number): Float64Array {
  const n = values.length;
  const out = nanArray(n);
  const start = firstValid(values);
  const first = start + period - 1;
  if (first >= n) return out;
  let sum = 0;
  for (let i = start; i < first; i++) sum += values[i];
  const decay = (period - 1) / period;
  for (let i = first; i < n; i++) {
    sum = values[i] + sum * decay;
    out[i] = sum;
  }
  return out;
}

/**
 * The highest (`sign` = 1) or lowest (`sign` = −1) of the last `period` bars pushed, bar by bar. Ties resolve to the
 * most recent bar, as in TTR and TA-Lib's Aroon. A monotonic deque of indices keeps this O(1) per bar whatever the
 * window length; it never holds more than period + 1 indices (one window, and the bar about to push the oldest out),
 * so it is a ring of the next power of two above the period rather than a full-length array (head and tail only grow).
 */
export class SlidingExtreme {
  private readonly deque: Int32Array;
  private readonly mask: number;
  private head = 0;
  private tail = 0;

  constructor(
    private readonly values: Float64Array,
    private readonly period: number,
    private readonly sign: 1 | -1,
  ) {
    let capacity = 2;
    while (capacity <= period) capacity *= 2;
    this.mask = capacity - 1;
    this.deque = new Int32Array(capacity);
  }

  /** Takes bar `i` (bars come in order, one step apart) and returns the index of the window's extreme. */
  push(i: number): number {
    const { values, deque, mask, sign } = this;
    const v = sign * values[i];
    while (this.tail > this.head && sign * values[deque[(this.tail - 1) & mask]] <= v) this.tail--;
    deque[this.tail++ & mask] = i;
    if (deque[this.head & mask] <= i - this.period) this.head++;
    return deque[this.head & mask];
  }
}

/**
 * Highest (`sign` = 1) or lowest (`sign` = −1) value of each window of `period` bars ending at the current bar, and,
 * when `ages` is given, how many bars ago it occurred (`SlidingExtreme`).
 */
export function rollingExtreme(values: Float64Array, period: number, sign: 1 | -1, ages?: Float64Array): Float64Array {
  const n = values.length;
  const out = nanArray(n);
  const start = firstValid(values);
  if (start + period - 1 >= n) return out;
  const window = new SlidingExtreme(values, period, sign);
  for (let i = start; i < n; i++) {
    const at = window.push(i);
    if (i >= start + period - 1) {
      out[i] = values[at];
      if (ages) ages[i] = i - at;
    }
  }
  return out;
}

export function rollingMax(values: Float64Array, period: number): Float64Array {
  return rollingExtreme(values, period, 1);
}

export function rollingMin(values: Float64Array, period: number): Float64Array {
  return rollingExtreme(values, period, -1);
}

/**
 * For each bar, how many consecutive bars (itself included) have exactly its value. A window is flat when this
 * reaches the window length; running sums drift by a few ulps and cannot tell flat from nearly flat, this can.
 */
export function equalRunLengths(values: Float64Array): Int32Array {
  const n = values.length;
  const runs = new Int32Array(n);
  for (let i = 0; i < n; i++) runs[i] = i > 0 && values[i] === values[i - 1] ? runs[i - 1] + 1 : 1;
  return runs;
}
