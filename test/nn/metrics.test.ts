import { describe, expect, it } from 'vitest';
import { CLASS_NAMES } from '../../src/labels/label-classes.js';
import { confusionMatrix, evaluateLogits, evaluateProbabilities, metricsFromConfusion } from '../../src/nn/metrics.js';
import { softmaxRowsInPlace } from '../../src/nn/loss.js';

describe('metricsFromConfusion', () => {
  // Rows = actual BUY/HOLD/SELL, columns = predicted. Support 8/8/4, predicted 6/10/4, 13 of 20 correct.
  const confusion = [
    [5, 2, 1],
    [1, 6, 1],
    [0, 2, 2],
  ];
  const metrics = metricsFromConfusion(confusion, CLASS_NAMES);

  it('computes per-class precision, recall and F1 by hand', () => {
    const [buy, hold, sell] = metrics.per_class;
    expect(buy).toMatchObject({ class: 'BUY', support: 8, predicted: 6 });
    expect(buy.precision).toBeCloseTo(5 / 6, 10);
    expect(buy.recall).toBeCloseTo(5 / 8, 10);
    expect(buy.f1_score).toBeCloseTo(5 / 7, 10);
    expect(hold).toMatchObject({ class: 'HOLD', support: 8, predicted: 10 });
    expect(hold.precision).toBeCloseTo(0.6, 10);
    expect(hold.recall).toBeCloseTo(0.75, 10);
    expect(hold.f1_score).toBeCloseTo(2 / 3, 10);
    expect(sell).toMatchObject({ class: 'SELL', precision: 0.5, recall: 0.5, f1_score: 0.5, support: 4 });
  });

  it('computes accuracy, support-weighted averages and the majority baseline', () => {
    expect(metrics.samples).toBe(20);
    expect(metrics.accuracy).toBeCloseTo(0.65, 10);
    expect(metrics.precision).toBeCloseTo((8 * (5 / 6) + 8 * 0.6 + 4 * 0.5) / 20, 10);
    expect(metrics.recall).toBeCloseTo(0.65, 10); // support-weighted recall is always the accuracy
    expect(metrics.f1_score).toBeCloseTo((8 * (5 / 7) + 8 * (2 / 3) + 4 * 0.5) / 20, 10);
    expect(metrics.baseline_accuracy).toBeCloseTo(0.4, 10); // BUY and HOLD tie at 8; the first wins
    expect(metrics.majority_class).toBe('BUY');
    expect(metrics.confusion_matrix).toEqual(confusion);
  });

  it('makes a degenerate always-HOLD model visible and divides by zero as 0', () => {
    const degenerate = metricsFromConfusion([
      [0, 3, 0],
      [0, 6, 0],
      [0, 1, 0],
    ]);
    expect(degenerate.accuracy).toBe(degenerate.baseline_accuracy);
    expect(degenerate.per_class[0]).toMatchObject({ precision: 0, recall: 0, f1_score: 0, predicted: 0 });
    expect(degenerate.per_class[1].predicted).toBe(10);
  });

  it('names classes generically when there are not three', () => {
    const four = metricsFromConfusion([
      [1, 0, 0, 0],
      [0, 1, 0, 0],
      [0, 0, 1, 0],
      [0, 0, 0, 1],
    ]);
    expect(four.per_class.map((c) => c.class)).toEqual(['class_0', 'class_1', 'class_2', 'class_3']);
    expect(four.accuracy).toBe(1);
  });
});

describe('evaluateLogits / evaluateProbabilities', () => {
  const logits = Float32Array.from([2, 0, 0, 0, 1, 0, 0, 0, 3, 1, 0, 0]);
  const labels = [0, 1, 2, 2];

  it('builds the confusion matrix from argmax predictions', () => {
    expect(confusionMatrix([0, 1, 2, 0], labels, 3)).toEqual([
      [1, 0, 0],
      [0, 1, 0],
      [1, 0, 1],
    ]);
  });

  it('reports the mean softmax cross-entropy and the metrics', () => {
    const report = evaluateLogits(logits, labels, 3);
    const nll = (row: number[], label: number) => Math.log(row.reduce((s, v) => s + Math.exp(v), 0)) - row[label];
    const expected = (nll([2, 0, 0], 0) + nll([0, 1, 0], 1) + nll([0, 0, 3], 2) + nll([1, 0, 0], 2)) / 4;
    expect(report.loss).toBeCloseTo(expected, 6);
    expect(report.accuracy).toBe(0.75);
    expect(report.confusion_matrix[2]).toEqual([1, 0, 1]);
  });

  it('weights the loss (only) when class weights are given', () => {
    const weighted = evaluateLogits(logits, labels, 3, { classWeights: Float32Array.from([1, 1, 0]) });
    const unweighted = evaluateLogits(logits.slice(0, 6), labels.slice(0, 2), 3);
    expect(weighted.loss).toBeCloseTo(unweighted.loss, 6);
    expect(weighted.accuracy).toBe(0.75);
  });

  it('gives the same report from probabilities', () => {
    const probabilities = logits.slice();
    softmaxRowsInPlace(probabilities, 4, 3);
    const fromProbabilities = evaluateProbabilities(probabilities, labels, 3);
    const fromLogits = evaluateLogits(logits, labels, 3);
    expect(fromProbabilities.loss).toBeCloseTo(fromLogits.loss, 5);
    expect({ ...fromProbabilities, loss: 0 }).toEqual({ ...fromLogits, loss: 0 });
  });

  it('rejects mismatched shapes and out-of-range labels', () => {
    expect(() => evaluateLogits(logits, [0, 1, 2], 3)).toThrow(/outputs/);
    expect(() => evaluateLogits(logits, [0, 1, 2, 3], 3)).toThrow(/class index/);
  });
});
