/**
 * Softmax cross-entropy, shared by the CPU backend (training), the trainer (validation loss) and the metrics (test
 * loss), so all three report the same number for the same logits.
 */

export interface CrossEntropyResult {
  /** Σ w_y·ℓ / Σ w_y over the rows (PyTorch's weighted mean; the plain mean when unweighted). */
  loss: number;
  /** Σ w_y over the rows (the row count when unweighted). */
  weightSum: number;
  /** Rows whose argmax (first index on ties) equals the label. */
  correct: number;
}

/**
 * Loss of `rows` logit rows [rows][classes] against integer labels, optionally class-weighted. When `gradOut` is
 * given it receives dLoss/dLogits = w_y·(softmax − onehot)/Σw, the input to the backward pass.
 *
 * A batch whose weights sum to 0 (only classes weighted 0 present) contributes loss 0 and no gradient, where PyTorch
 * would return NaN: such a batch carries no information, and a NaN would be mistaken for divergence.
 */
export function softmaxCrossEntropy(
  logits: Float32Array,
  labels: ArrayLike<number>,
  rows: number,
  classes: number,
  classWeights: Float32Array | null,
  gradOut: Float32Array | null,
): CrossEntropyResult {
  let weightedLoss = 0;
  let weightSum = 0;
  let correct = 0;
  for (let r = 0; r < rows; r++) {
    const base = r * classes;
    const label = labels[r];
    const argmax = rowArgmax(logits, base, classes);
    const max = logits[base + argmax];
    if (argmax === label) correct++;
    let sum = 0;
    for (let j = 0; j < classes; j++) {
      const e = Math.exp(logits[base + j] - max);
      sum += e;
      if (gradOut !== null) gradOut[base + j] = e;
    }
    const logSumExp = max + Math.log(sum);
    const weight = classWeights === null ? 1 : classWeights[label];
    weightedLoss += weight * (logSumExp - logits[base + label]);
    weightSum += weight;
  }
  if (gradOut !== null) {
    const scale = weightSum > 0 ? 1 / weightSum : 0;
    for (let r = 0; r < rows; r++) {
      const base = r * classes;
      const label = labels[r];
      let sum = 0;
      for (let j = 0; j < classes; j++) sum += gradOut[base + j];
      const rowScale = (classWeights === null ? 1 : classWeights[label]) * scale;
      for (let j = 0; j < classes; j++) gradOut[base + j] = (gradOut[base + j] / sum) * rowScale;
      gradOut[base + label] -= rowScale;
    }
  }
  return { loss: weightSum > 0 ? weightedLoss / weightSum : 0, weightSum, correct };
}

/** Index of the largest of `values[base … base + classes)`, the first one on ties: a row's predicted class. */
export function rowArgmax(values: ArrayLike<number>, base: number, classes: number): number {
  let best = 0;
  for (let j = 1; j < classes; j++) if (values[base + j] > values[base + best]) best = j;
  return best;
}

/** Numerically stable softmax over each row, in place. */
export function softmaxRowsInPlace(values: Float32Array, rows: number, classes: number): void {
  for (let r = 0; r < rows; r++) {
    const base = r * classes;
    let max = values[base];
    for (let j = 1; j < classes; j++) if (values[base + j] > max) max = values[base + j];
    let sum = 0;
    for (let j = 0; j < classes; j++) sum += Math.exp(values[base + j] - max);
    for (let j = 0; j < classes; j++) values[base + j] = Math.exp(values[base + j] - max) / sum;
  }
}

/** Which classification loss training minimises. `focal` down-weights rows the network already gets right. */
export type ClassificationLoss = { readonly kind: 'cross_entropy' } | { readonly kind: 'focal'; readonly gamma: number };

export const CROSS_ENTROPY: ClassificationLoss = { kind: 'cross_entropy' };

/**
 * The configured loss of `rows` logit rows against integer labels; the same contract as `softmaxCrossEntropy`
 * (`correct` counts argmax hits, `gradOut` receives dLoss/dLogits when given).
 */
export function classificationLoss(
  loss: ClassificationLoss,
  logits: Float32Array,
  labels: ArrayLike<number>,
  rows: number,
  classes: number,
  classWeights: Float32Array | null,
  gradOut: Float32Array | null,
): CrossEntropyResult {
  return loss.kind === 'focal'
    ? focalLoss(logits, labels, rows, classes, loss.gamma, classWeights, gradOut)
    : softmaxCrossEntropy(logits, labels, rows, classes, classWeights, gradOut);
}

/**
 * Focal loss (Lin et al. 2017) as the original defined it: the plain mean over the rows of −α_y·(1 − p_y)^γ·log p_y,
 * with p = softmax(logits) and α the class weights (1 when unweighted). Unlike weighted cross-entropy it divides by
 * the row count, not by Σα. γ = 0 is cross-entropy with that mean.
 *
 * dℓ/dz_j = α_y·[γ·(1 − p_y)^(γ−1)·p_y·log p_y − (1 − p_y)^γ]·(δ_jy − p_j) / rows; the first term is taken as 0
 * when p_y = 1 (its limit for γ > 0, and it avoids 0^(γ−1) = ∞ for γ < 1).
 */
export function focalLoss(
  logits: Float32Array,
  labels: ArrayLike<number>,
  rows: number,
  classes: number,
  gamma: number,
  classWeights: Float32Array | null,
  gradOut: Float32Array | null,
): CrossEntropyResult {
  let total = 0;
  let weightSum = 0;
  let correct = 0;
  const scale = rows > 0 ? 1 / rows : 0;
  for (let r = 0; r < rows; r++) {
    const base = r * classes;
    const label = labels[r];
    const argmax = rowArgmax(logits, base, classes);
    const max = logits[base + argmax];
    if (argmax === label) correct++;
    let sum = 0;
    for (let j = 0; j < classes; j++) sum += Math.exp(logits[base + j] - max);
    const logP = logits[base + label] - max - Math.log(sum);
    const p = Math.exp(logP);
    const miss = 1 - p;
    const alpha = classWeights === null ? 1 : classWeights[label];
    const modulation = Math.pow(miss, gamma);
    total += -alpha * modulation * logP;
    weightSum += alpha;
    if (gradOut !== null) {
      const focusTerm = miss > 0 ? gamma * Math.pow(miss, gamma - 1) * p * logP : 0;
      const coefficient = alpha * (focusTerm - modulation) * scale;
      for (let j = 0; j < classes; j++) {
        const pj = Math.exp(logits[base + j] - max) / sum;
        gradOut[base + j] = coefficient * ((j === label ? 1 : 0) - pj);
      }
    }
  }
  return { loss: total * scale, weightSum, correct };
}

/**
 * Which regression loss training minimises on a one-output network. `huber` is quadratic within δ of the target and
 * linear beyond (PyTorch's HuberLoss), so a few extreme returns do not dominate the fit as they do under `mse`.
 */
export type RegressionLoss = { readonly kind: 'mse' } | { readonly kind: 'huber'; readonly delta: number };

/** Any loss the trainer minimises: the classification ones over class logits, the regression ones over one output. */
export type TrainingLoss = ClassificationLoss | RegressionLoss;

export function isRegressionLoss(loss: TrainingLoss): loss is RegressionLoss {
  return loss.kind === 'mse' || loss.kind === 'huber';
}

/**
 * Regression loss of `rows` predictions (one output per row) against real-valued targets, as the plain mean over the
 * rows (PyTorch's reduction='mean'). `correct` counts directional hits, sign(prediction) = sign(target) with 0 its
 * own sign (as the original scored regression accuracy); `weightSum` is the row count. `gradOut` receives
 * dLoss/dPrediction: mse 2(p − y)/n; huber (p − y)/n within δ, δ·sign(p − y)/n beyond.
 */
export function regressionLoss(
  loss: RegressionLoss,
  predictions: Float32Array,
  targets: ArrayLike<number>,
  rows: number,
  gradOut: Float32Array | null,
): CrossEntropyResult {
  let total = 0;
  let correct = 0;
  const scale = rows > 0 ? 1 / rows : 0;
  const delta = loss.kind === 'huber' ? loss.delta : Number.POSITIVE_INFINITY;
  for (let r = 0; r < rows; r++) {
    const prediction = predictions[r];
    const target = targets[r];
    if (Math.sign(prediction) === Math.sign(target)) correct++;
    const diff = prediction - target;
    if (loss.kind === 'mse') {
      total += diff * diff;
      if (gradOut !== null) gradOut[r] = 2 * diff * scale;
    } else if (Math.abs(diff) <= delta) {
      total += 0.5 * diff * diff;
      if (gradOut !== null) gradOut[r] = diff * scale;
    } else {
      total += delta * (Math.abs(diff) - 0.5 * delta);
      if (gradOut !== null) gradOut[r] = delta * Math.sign(diff) * scale;
    }
  }
  return { loss: total * scale, weightSum: rows, correct };
}

/**
 * The configured loss, whichever kind: regression losses read one output per row and ignore class weights (a
 * regression target has no classes); classification losses are exactly `classificationLoss`.
 */
export function trainingLoss(
  loss: TrainingLoss,
  outputs: Float32Array,
  labels: ArrayLike<number>,
  rows: number,
  width: number,
  classWeights: Float32Array | null,
  gradOut: Float32Array | null,
): CrossEntropyResult {
  return isRegressionLoss(loss)
    ? regressionLoss(loss, outputs, labels, rows, gradOut)
    : classificationLoss(loss, outputs, labels, rows, width, classWeights, gradOut);
}
