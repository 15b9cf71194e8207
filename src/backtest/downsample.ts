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
  if (!(Number.isInteger(points) && points >= 2)) {
    throw new KtrdrError('VALIDATION_FAILED', `points must be an integer of at least 2, got ${points}`, { details: { points } });
  }
  const n = values.length;
  if (timestamps.length !== n) {
    throw new KtrdrError('VALIDATION_FAILED', `${timestamps.length} timestamps for ${n} values`, {
      details: { timestamps: timestamps.length, values: n },
    });
  }
  if (points >= n) return { timestamps, values };

  const buckets = Math.floor((points - 2) / 2);
  const interior = n - 2;
  const outTimes = new Float64Array(points);
  const outValues = new Float64Array(points);
  let count = 0;
  const push = (index: number): void => {
    outTimes[count] = timestamps[index];
    outValues[count] = values[index];
    count++;
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
  return { timestamps: outTimes.slice(0, count), values: outValues.slice(0, count) };
}
