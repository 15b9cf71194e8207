import { describe, expect, it } from 'vitest';
import { evaluateRegression, spearman } from '../../src/nn/regression-metrics.js';

describe('evaluateRegression', () => {
  it('matches hand-computed figures and the zero-return baseline', () => {
    // targets mean 0.5; residuals p − y = [0.5, −1.5, 3, −0.1]
    const report = evaluateRegression([0.5, -1, 2, 0.1], [0, 0.5, -1, 2.5]);
    expect(report.samples).toBe(4);
    expect(report.mse).toBeCloseTo((0.25 + 2.25 + 9 + 5.76) / 4, 12);
    expect(report.loss).toBe(report.mse);
    expect(report.rmse).toBeCloseTo(Math.sqrt(report.mse), 12);
    expect(report.mae).toBeCloseTo((0.5 + 1.5 + 3 + 2.4) / 4, 12);
    // SS_tot = 0.25 + 0 + 2.25 + 4 = 6.5
    expect(report.r2).toBeCloseTo(1 - 17.26 / 6.5, 12);
    expect(report.directional_accuracy).toBe(0.25); // row 4 only; 0 is its own sign
    expect(report.accuracy).toBe(report.directional_accuracy);
    expect(report.baseline_accuracy).toBe(0.5); // 2 up, 1 down, 1 zero
    expect(report.majority_class).toBe('up');
    expect(report.baseline.mse).toBeCloseTo((0 + 0.25 + 1 + 6.25) / 4, 12);
    expect(report.baseline.mae).toBeCloseTo((0 + 0.5 + 1 + 2.5) / 4, 12);
    expect(report.baseline.r2).toBeCloseTo(1 - 7.5 / 6.5, 12);
  });

  it('a perfect forecast has r2 1 and ic 1', () => {
    const y = [0.01, -0.02, 0.005, 0.03];
    const report = evaluateRegression(y, y);
    expect(report.mse).toBe(0);
    expect(report.r2).toBe(1);
    expect(report.information_coefficient).toBeCloseTo(1, 12);
  });
});

describe('spearman', () => {
  it('ranks ties by their mean rank (hand-computed)', () => {
    // ranks a: [1, 2.5, 2.5, 4], b: [2, 1, 3, 4], both mean 2.5; Σ products of deviations 3, Σ squares 4.5 and 5
    expect(spearman([1, 2, 2, 3], [2, 1, 3, 4])).toBeCloseTo(3 / Math.sqrt(4.5 * 5), 12);
    expect(spearman([1, 2, 3], [3, 2, 1])).toBeCloseTo(-1, 12);
    expect(spearman([1, 1, 1], [3, 2, 1])).toBe(0);
  });
});
