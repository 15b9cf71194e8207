import { SeededRandom } from '../util/random.js';
import { regressionLoss, softmaxCrossEntropy } from './loss.js';
import { predictLogits } from './predict.js';
import type { LabelledSet } from './trainer.js';
import type { MlpWeights } from './weights.js';

/** How much the model relies on one feature: what shuffling its column costs on the given rows. */
export interface FeatureImportance {
  readonly feature: string;
  /** Mean over the repeats of (cross-entropy with the column shuffled − cross-entropy as is). */
  readonly loss_increase: number;
  /** Mean over the repeats of (accuracy as is − accuracy with the column shuffled). */
  readonly accuracy_drop: number;
}

/**
 * Permutation importance (Breiman; Fisher, Rudin & Dominici): each feature's column is shuffled across the rows,
 * `repeats` times with a generator seeded by `seed`, and the model's unweighted cross-entropy and accuracy are
 * compared with those on the intact rows. The other columns, the weights and the labels are left as they are, so
 * what is lost is what the model took from that feature (including what it shares with correlated features, which
 * therefore each look less important than the group). Sorted by loss increase, largest first; ties keep the feature
 * order. Every feature gets its own forked generator, so adding a feature does not change the others' shuffles.
 * A one-output (regression) model is scored by its mean squared error and directional accuracy instead.
 */
export function permutationImportance(
  weights: MlpWeights,
  set: LabelledSet,
  names: readonly string[],
  options: { readonly repeats: number; readonly seed: number },
): FeatureImportance[] {
  if (!Number.isInteger(options.repeats) || options.repeats < 1) throw new RangeError(`repeats must be an integer ≥ 1, got ${options.repeats}`);
  const { rows, features, y } = set;
  const classes = weights.spec.outputs;
  const score = (x: Float32Array) => {
    const outputs = predictLogits(weights, x, rows);
    const result =
      classes === 1 ? regressionLoss({ kind: 'mse' }, outputs, y, rows, null) : softmaxCrossEntropy(outputs, y, rows, classes, null, null);
    return { loss: result.loss, accuracy: result.correct / rows };
  };
  const intact = score(set.x);
  const rng = new SeededRandom(options.seed);
  const shuffled = Float32Array.from(set.x);
  const order = new Int32Array(rows);
  const column = new Float32Array(rows);
  const result: FeatureImportance[] = [];
  for (let f = 0; f < features; f++) {
    const featureRng = rng.fork();
    for (let r = 0; r < rows; r++) column[r] = set.x[r * features + f];
    let lossSum = 0;
    let accuracySum = 0;
    for (let repeat = 0; repeat < options.repeats; repeat++) {
      for (let r = 0; r < rows; r++) order[r] = r;
      featureRng.shuffle(order);
      for (let r = 0; r < rows; r++) shuffled[r * features + f] = column[order[r]];
      const permuted = score(shuffled);
      lossSum += permuted.loss - intact.loss;
      accuracySum += intact.accuracy - permuted.accuracy;
    }
    for (let r = 0; r < rows; r++) shuffled[r * features + f] = column[r];
    result.push({ feature: names[f], loss_increase: lossSum / options.repeats, accuracy_drop: accuracySum / options.repeats });
  }
  return result
    .map((entry, index) => ({ entry, index }))
    .sort((a, b) => b.entry.loss_increase - a.entry.loss_increase || a.index - b.index)
    .map(({ entry }) => entry);
}
