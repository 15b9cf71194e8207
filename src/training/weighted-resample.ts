import type { LabelledSet } from '../nn/index.js';
import { SeededRandom } from '../util/random.js';

/**
 * Sample weights without a weighted loss: draws as many training rows as there are, with replacement, each with
 * probability proportional to its weight (the original's `WeightedRandomSampler(weights, len(train),
 * replacement=True)`). The original redraws every epoch; here the draw is made once per run from the run's seed,
 * which keeps the trainer untouched and the run deterministic, at the cost of a fixed resample for all epochs.
 */
export function resampleByWeight(set: LabelledSet, weights: Float64Array, seed: number): LabelledSet {
  const { rows, features } = set;
  const cumulative = new Float64Array(rows);
  let total = 0;
  for (let r = 0; r < rows; r++) {
    total += weights[r];
    cumulative[r] = total;
  }
  const random = new SeededRandom(seed);
  const x = new Float32Array(rows * features);
  const y = new Int32Array(rows);
  for (let i = 0; i < rows; i++) {
    const r = upperBound(cumulative, random.next() * total);
    x.set(set.x.subarray(r * features, (r + 1) * features), i * features);
    y[i] = set.y[r];
  }
  return { x, y, rows, features };
}

/** First index whose cumulative weight exceeds `target` (binary search). */
function upperBound(cumulative: Float64Array, target: number): number {
  let lo = 0;
  let hi = cumulative.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (cumulative[mid] > target) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}
