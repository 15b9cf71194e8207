import { KtrdrError } from '../errors.js';
import { rowArgmax, softmaxCrossEntropy } from './loss.js';

/**
 * Classification metrics for a finished model: what the test split is reported with. Generic in the number of
 * classes and in their names (the caller passes them; the trading vocabulary lives with the labels).
 *
 * Precision/recall/F1 follow scikit-learn with zero_division=0, and the summary figures are support-weighted means
 * (`average="weighted"`, as the original reported). The majority-class baseline and the per-class prediction counts
 * are there so that a model which always predicts HOLD cannot hide behind a good-looking accuracy.
 */

/** `class_0`, `class_1`, ...: the names of classes nobody named. */
export function defaultClassNames(numClasses: number): string[] {
  return Array.from({ length: numClasses }, (_, c) => `class_${c}`);
}

export interface ClassMetrics {
  class: string;
  precision: number;
  recall: number;
  f1_score: number;
  /** Rows whose true label is this class. */
  support: number;
  /** Rows predicted as this class. */
  predicted: number;
}

export interface ConfusionMetrics {
  samples: number;
  accuracy: number;
  /** Accuracy of always predicting the most frequent true class. */
  baseline_accuracy: number;
  majority_class: string;
  /** Support-weighted means over the classes. */
  precision: number;
  recall: number;
  f1_score: number;
  per_class: ClassMetrics[];
  /** confusion_matrix[actual][predicted] = row count. */
  confusion_matrix: number[][];
}

export interface ClassificationReport extends ConfusionMetrics {
  /** Softmax cross-entropy; unweighted unless class weights were given. */
  loss: number;
}

export interface EvaluationOptions {
  /** Weights for the loss only; the other metrics always count rows. */
  classWeights?: Float32Array | null;
  classNames?: readonly string[];
}

/** Index of the largest value in each row (the first one on ties), as the predicted class. */
export function argmaxRows(values: Float32Array, rows: number, classes: number): Int32Array {
  const result = new Int32Array(rows);
  for (let r = 0; r < rows; r++) result[r] = rowArgmax(values, r * classes, classes);
  return result;
}

export function confusionMatrix(predicted: ArrayLike<number>, labels: ArrayLike<number>, numClasses: number): number[][] {
  if (predicted.length !== labels.length) {
    throw new KtrdrError('VALIDATION_FAILED', `${predicted.length} predictions for ${labels.length} labels`);
  }
  const matrix = Array.from({ length: numClasses }, () => new Array<number>(numClasses).fill(0));
  for (let i = 0; i < labels.length; i++) {
    const actual = labels[i];
    const guess = predicted[i];
    if (!(actual >= 0 && actual < numClasses && guess >= 0 && guess < numClasses)) {
      throw new KtrdrError('VALIDATION_FAILED', `Class index out of range at row ${i}: label ${actual}, predicted ${guess}`);
    }
    matrix[actual][guess] += 1;
  }
  return matrix;
}

export function metricsFromConfusion(
  confusion: readonly (readonly number[])[],
  classNames: readonly string[] = defaultClassNames(confusion.length),
): ConfusionMetrics {
  const numClasses = confusion.length;
  const support = confusion.map((row) => row.reduce((sum, count) => sum + count, 0));
  const predicted = confusion[0]?.map((_, c) => confusion.reduce((sum, row) => sum + row[c], 0)) ?? [];
  const samples = support.reduce((sum, count) => sum + count, 0);
  const ratio = (numerator: number, denominator: number): number => (denominator > 0 ? numerator / denominator : 0);

  const perClass: ClassMetrics[] = [];
  let correct = 0;
  let weightedPrecision = 0;
  let weightedRecall = 0;
  let weightedF1 = 0;
  for (let c = 0; c < numClasses; c++) {
    const truePositives = confusion[c][c];
    correct += truePositives;
    const precision = ratio(truePositives, predicted[c]);
    const recall = ratio(truePositives, support[c]);
    const f1 = ratio(2 * precision * recall, precision + recall);
    perClass.push({
      class: classNames[c] ?? `class_${c}`,
      precision,
      recall,
      f1_score: f1,
      support: support[c],
      predicted: predicted[c],
    });
    weightedPrecision += precision * support[c];
    weightedRecall += recall * support[c];
    weightedF1 += f1 * support[c];
  }
  let majority = 0;
  for (let c = 1; c < numClasses; c++) if (support[c] > support[majority]) majority = c;

  return {
    samples,
    accuracy: ratio(correct, samples),
    baseline_accuracy: ratio(support[majority] ?? 0, samples),
    majority_class: perClass[majority]?.class ?? '',
    precision: ratio(weightedPrecision, samples),
    recall: ratio(weightedRecall, samples),
    f1_score: ratio(weightedF1, samples),
    per_class: perClass,
    confusion_matrix: confusion.map((row) => [...row]),
  };
}

/** Full report from raw network outputs (logits [rows][numClasses]). */
export function evaluateLogits(
  logits: Float32Array,
  labels: ArrayLike<number>,
  numClasses: number,
  options: EvaluationOptions = {},
): ClassificationReport {
  const rows = checkShape(logits, labels, numClasses);
  const { loss } = softmaxCrossEntropy(logits, labels, rows, numClasses, options.classWeights ?? null, null);
  return reportFrom(loss, argmaxRows(logits, rows, numClasses), labels, numClasses, options);
}

/** Full report from class probabilities [rows][numClasses] (e.g. `predictProbabilities`). */
export function evaluateProbabilities(
  probabilities: Float32Array,
  labels: ArrayLike<number>,
  numClasses: number,
  options: EvaluationOptions = {},
): ClassificationReport {
  const rows = checkShape(probabilities, labels, numClasses);
  const classWeights = options.classWeights ?? null;
  let weightedLoss = 0;
  let weightSum = 0;
  for (let r = 0; r < rows; r++) {
    const label = labels[r];
    const weight = classWeights === null ? 1 : classWeights[label];
    // Probabilities that rounded to 0 in float32 would give an infinite loss; clamp like log-softmax effectively does.
    weightedLoss -= weight * Math.log(Math.max(probabilities[r * numClasses + label], 1e-30));
    weightSum += weight;
  }
  const loss = weightSum > 0 ? weightedLoss / weightSum : 0;
  return reportFrom(loss, argmaxRows(probabilities, rows, numClasses), labels, numClasses, options);
}

function reportFrom(
  loss: number,
  predicted: Int32Array,
  labels: ArrayLike<number>,
  numClasses: number,
  options: EvaluationOptions,
): ClassificationReport {
  const metrics = metricsFromConfusion(confusionMatrix(predicted, labels, numClasses), options.classNames ?? defaultClassNames(numClasses));
  return { loss, ...metrics };
}

function checkShape(values: Float32Array, labels: ArrayLike<number>, numClasses: number): number {
  const rows = labels.length;
  if (values.length !== rows * numClasses) {
    throw new KtrdrError('VALIDATION_FAILED', `Expected ${rows} rows × ${numClasses} classes = ${rows * numClasses} outputs, got ${values.length}`);
  }
  for (let i = 0; i < rows; i++) {
    const label = labels[i];
    if (!Number.isInteger(label) || label < 0 || label >= numClasses) {
      throw new KtrdrError('VALIDATION_FAILED', `Label ${label} at row ${i} is not a class index in [0, ${numClasses})`);
    }
  }
  return rows;
}
