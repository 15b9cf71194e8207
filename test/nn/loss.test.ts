import { describe, expect, it } from 'vitest';
import { classificationLoss, focalLoss, softmaxCrossEntropy } from '../../src/nn/loss.js';
import { SeededRandom } from '../../src/util/random.js';

// Logits [0, ln 3] give p = [1/4, 3/4].
const LN3 = Math.log(3);

describe('focalLoss', () => {
  it('matches hand-computed values: mean of −α_y·(1 − p_y)^γ·log p_y over the rows', () => {
    const logits = Float32Array.from([0, LN3, 0, LN3]);
    const grad = new Float32Array(4);
    const result = focalLoss(logits, [0, 1], 2, 2, 2, Float32Array.from([2, 1]), grad);
    // Row 0 (label 0, α 2): −2·(3/4)²·ln(1/4) = 1.5595812; row 1 (label 1, α 1): −(1/4)²·ln(3/4) = 0.0179801.
    expect(result.loss).toBeCloseTo((1.559581156259877 + 0.017980129528236306) / 2, 6);
    expect(result.correct).toBe(1);
    expect(result.weightSum).toBe(3);
    // Row 1: α·[γ(1 − p)p·ln p − (1 − p)²] = 2·¼·¾·ln ¾ − 1/16 = −0.1703808, times (δ − p)/rows.
    expect(grad[2]).toBeCloseTo((-0.17038077716941785 * -0.25) / 2, 6);
    expect(grad[3]).toBeCloseTo((-0.17038077716941785 * 0.25) / 2, 6);
  });

  it('is cross-entropy when γ = 0 and the rows are unweighted', () => {
    const rng = new SeededRandom(4);
    const logits = Float32Array.from({ length: 15 }, () => rng.nextGaussian());
    const labels = [0, 2, 1, 1, 0];
    const focalGrad = new Float32Array(15);
    const ceGrad = new Float32Array(15);
    const focal = focalLoss(logits, labels, 5, 3, 0, null, focalGrad);
    const ce = softmaxCrossEntropy(logits, labels, 5, 3, null, ceGrad);
    expect(focal.loss).toBeCloseTo(ce.loss, 6);
    for (let i = 0; i < 15; i++) expect(focalGrad[i]).toBeCloseTo(ceGrad[i], 6);
  });

  it('down-weights confident correct rows more as γ grows', () => {
    const logits = Float32Array.from([0, LN3]);
    const loss = (gamma: number) => focalLoss(logits, [1], 1, 2, gamma, null, null).loss;
    expect(loss(0)).toBeGreaterThan(loss(1));
    expect(loss(1)).toBeGreaterThan(loss(2));
  });

  it('has the gradient of its value (central differences in float64 on the logits)', () => {
    const rng = new SeededRandom(9);
    const rows = 4;
    const classes = 3;
    const base = Array.from({ length: rows * classes }, () => 2 * rng.nextGaussian());
    const labels = [0, 1, 2, 1];
    const weights = Float32Array.from([0.5, 2, 1]);
    for (const gamma of [0.5, 2, 3]) {
      const grad = new Float32Array(rows * classes);
      focalLoss(Float32Array.from(base), labels, rows, classes, gamma, weights, grad);
      // Float32 logits round the perturbation; measure the step actually taken.
      for (let i = 0; i < base.length; i++) {
        const up = Float32Array.from(base);
        const down = Float32Array.from(base);
        up[i] += 1e-2;
        down[i] -= 1e-2;
        const numeric =
          (focalLoss(up, labels, rows, classes, gamma, weights, null).loss - focalLoss(down, labels, rows, classes, gamma, weights, null).loss) /
          (up[i] - down[i]);
        expect(grad[i]).toBeCloseTo(numeric, 3);
      }
    }
  });

  it('has no NaN gradient for a certain prediction with γ < 1', () => {
    const grad = new Float32Array(2);
    const result = focalLoss(Float32Array.from([-200, 200]), [1], 1, 2, 0.5, null, grad);
    expect(result.loss).toBe(0);
    expect(Array.from(grad).every(Number.isFinite)).toBe(true);
  });
});

describe('classificationLoss', () => {
  it('dispatches on the configured kind', () => {
    const logits = Float32Array.from([0, LN3]);
    expect(classificationLoss({ kind: 'cross_entropy' }, logits, [1], 1, 2, null, null).loss).toBeCloseTo(-Math.log(0.75), 6);
    expect(classificationLoss({ kind: 'focal', gamma: 2 }, logits, [1], 1, 2, null, null).loss).toBeCloseTo(0.017980129528236306, 6);
  });
});
