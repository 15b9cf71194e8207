/**
 * Equity curves for charts: a million bars reduced to a few thousand points without hiding a drawdown. Averaging or
 * striding would smooth troughs away; keeping each bucket's minimum and maximum keeps them exactly.
 */
import { KtrdrError } from '../errors.js';

/**
 * At most `points` points: the first and the last, and between them the minimum and the maximum of each of
 * ⌊(points - 2) / 2⌋ equal buckets, in time order (one point when they are the same bar). Returns the input arrays
 * themselves when `points` ≥ their length.
 */
export function downsampleSeries(timestamps: Float64Array, values: Float64Array, points: number): { timestamps: Float64Array; values: Float64Array } {
  if (timestamps.length !== values.length) {
    throw new KtrdrError('VALIDATION_FAILED', `${timestamps.length} timestamps for ${values.length} values`, {
      details: { timestamps: timestamps.length, values: values.length },
    });
  }
  const indices = downsampleIndices(values, points);
  if (indices === null) return { timestamps, values };
  return { timestamps: pick(timestamps, indices), values: pick(values, indices) };
}

/**
 * The bars `downsampleSeries` keeps, chosen by `values` (so a second series on the same bars, such as the benchmark
 * next to the equity, can be sampled at the same times); null when every bar is kept.
 */
export function downsampleIndices(values: Float64Array, points: number): Uint32Array | null {
  if (!(Number.isInteger(points) && points >= 2)) {
    throw new KtrdrError('VALIDATION_FAILED', `points must be an integer of at least 2, got ${points}`, { details: { points } });
  }
  const n = values.length;
  if (points >= n) return null;

  const buckets = Math.floor((points - 2) / 2);
  const interior = n - 2;
  const out = new Uint32Array(points);
  let count = 0;
  const push = (index: number): void => {
    out[count++] = index;
  };
  push(0);
  for (let b = 0; b < buckets; b++) {
    const start = 1 + Math.floor((b * interior) / buckets);
    const end = 1 + Math.floor(((b + 1) * interior) / buckets);
    let minIndex = start;
    let maxIndex = start;
    for (let i = start + 1; i < end; i++) {
      if (values[i] < values[minIndex]) minIndex = i;
      if (values[i] > values[maxIndex]) maxIndex = i;
    }
    if (minIndex === maxIndex) {
      push(minIndex);
    } else {
      push(Math.min(minIndex, maxIndex));
      push(Math.max(minIndex, maxIndex));
    }
  }
  push(n - 1);
  return out.slice(0, count);
}

/** The values at the given indices. */
export function pick(values: Float64Array, indices: Uint32Array): Float64Array {
  const out = new Float64Array(indices.length);
  for (let i = 0; i < indices.length; i++) out[i] = values[indices[i]];
  return out;
}
