import { KtrdrError } from '../errors.js';

/**
 * How the loss weighs each class: `'none'` (plain mean), `'auto'` (inverse frequency in the training labels), or one
 * explicit non-negative weight per class.
 */
export type ClassWeightsOption = 'auto' | 'none' | readonly number[];

/**
 * Resolves the option to one weight per class, or null for unweighted.
 *
 * `'auto'`: w_c = N / (K·n_c) for the K classes present in the labels, 0 for absent classes. This is inverse frequency
 * scaled so that the mean weight over the training samples is 1 (Σ_i w_{y_i} = N), which keeps a weighted loss on the
 * same scale as the unweighted one. (The original normalised Σ_c w_c = K instead; with PyTorch's Σw·ℓ/Σw loss the
 * scale cancels, so both give the same training.)
 */
export function resolveClassWeights(option: ClassWeightsOption, labels: ArrayLike<number>, numClasses: number): Float32Array | null {
  if (option === 'none') return null;
  if (option === 'auto') {
    const counts = new Float64Array(numClasses);
    for (let i = 0; i < labels.length; i++) counts[labels[i]]++;
    const present = counts.filter((count) => count > 0).length;
    const weights = new Float32Array(numClasses);
    if (present === 0) return weights.fill(1);
    for (let c = 0; c < numClasses; c++) {
      weights[c] = counts[c] > 0 ? labels.length / (present * counts[c]) : 0;
    }
    return weights;
  }
  if (option.length !== numClasses) {
    throw new KtrdrError('VALIDATION_FAILED', `class_weights has ${option.length} entries but the model has ${numClasses} classes`, {
      details: { classWeights: option },
    });
  }
  if (!option.every((w) => Number.isFinite(w) && w >= 0) || !option.some((w) => w > 0)) {
    throw new KtrdrError('VALIDATION_FAILED', 'class_weights must be finite, non-negative and not all zero', {
      details: { classWeights: option },
    });
  }
  return Float32Array.from(option);
}
