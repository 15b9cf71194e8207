import { describe, expect, it } from 'vitest';
import { evaluateFuzzySet } from '../../src/fuzzy/fuzzy-set.js';
import { fuzzify, gaussian, membershipProblem, trapezoidal, triangular } from '../../src/fuzzy/membership.js';

describe('triangular', () => {
  it('should rise, peak and fall with zero outside the support', () => {
    expect(triangular(20, 0, 20, 35)).toBe(1);
    expect(triangular(10, 0, 20, 35)).toBe(0.5);
    expect(triangular(27.5, 0, 20, 35)).toBe(0.5);
    expect(triangular(0, 0, 20, 35)).toBe(0);
    expect(triangular(35, 0, 20, 35)).toBe(0);
    expect(triangular(-5, 0, 20, 35)).toBe(0);
    expect(triangular(40, 0, 20, 35)).toBe(0);
  });

  it('should give 1 at a shoulder peak because the peak is checked before the edges', () => {
    expect(triangular(0, 0, 0, 30)).toBe(1);
    expect(triangular(100, 70, 100, 100)).toBe(1);
    expect(triangular(-1, 0, 0, 30)).toBe(0);
    expect(triangular(101, 70, 100, 100)).toBe(0);
  });

  it('should keep NaN and give 0 for infinities', () => {
    expect(triangular(NaN, 0, 1, 2)).toBeNaN();
    expect(triangular(Infinity, 0, 1, 2)).toBe(0);
    expect(triangular(-Infinity, 0, 1, 2)).toBe(0);
  });
});

describe('trapezoidal', () => {
  it('should check the edges before the plateau', () => {
    expect(trapezoidal(0, 0, 0, 20, 30)).toBe(0);
    expect(trapezoidal(10, 0, 0, 20, 30)).toBe(1);
    expect(trapezoidal(20, 0, 0, 20, 30)).toBe(1);
    expect(trapezoidal(25, 0, 0, 20, 30)).toBe(0.5);
    expect(trapezoidal(5, 0, 10, 20, 30)).toBe(0.5);
    expect(trapezoidal(30, 0, 10, 20, 30)).toBe(0);
    expect(trapezoidal(NaN, 0, 10, 20, 30)).toBeNaN();
  });
});

describe('gaussian', () => {
  it('should be 1 at the mean and never exactly 0 for finite input', () => {
    expect(gaussian(5, 5, 2)).toBe(1);
    expect(gaussian(7, 5, 2)).toBeCloseTo(Math.exp(-0.5), 15);
    expect(gaussian(1000, 5, 2)).toBeGreaterThanOrEqual(0);
    expect(gaussian(Infinity, 5, 2)).toBe(0);
    expect(gaussian(NaN, 5, 2)).toBeNaN();
  });
});

describe('fuzzify', () => {
  it('should evaluate a whole series and keep NaN warm-up bars NaN', () => {
    const values = new Float64Array([NaN, 10, 20, 50]);
    const out = fuzzify({ type: 'triangular', a: 0, b: 20, c: 35 }, values);
    expect(Array.from(out)).toEqual([NaN, 0.5, 1, 0]);
  });

  it('should give exactly the per-element functions, degenerate shapes and edges included', () => {
    const values = Float64Array.from({ length: 2001 }, (_, i) => (i - 1000) / 20);
    values[7] = NaN;
    values[8] = Infinity;
    values[9] = -Infinity;
    const shapes = [
      [0, 20, 35, 40],
      [0, 0, 20, 30],
      [-5, 10, 10, 10],
      [3, 3, 3, 3],
      [-50, -4, 4, 50],
    ];
    for (const [a, b, c, d] of shapes) {
      const trapezoid = fuzzify({ type: 'trapezoidal', a, b, c, d }, values);
      const triangle = fuzzify({ type: 'triangular', a, b, c }, values);
      for (let i = 0; i < values.length; i++) {
        expect(Object.is(trapezoid[i], trapezoidal(values[i], a, b, c, d))).toBe(true);
        expect(Object.is(triangle[i], triangular(values[i], a, b, c))).toBe(true);
      }
    }
  });

  it('should keep the membership order of the set definition', () => {
    const outputs = evaluateFuzzySet(
      {
        id: 'rsi_zone',
        indicator: 'rsi_14',
        memberships: [
          { name: 'low', membership: { type: 'triangular', a: 0, b: 20, c: 40 } },
          { name: 'high', membership: { type: 'trapezoidal', a: 60, b: 80, c: 100, d: 100 } },
        ],
      },
      new Float64Array([20, 90]),
    );
    expect(outputs.map((o) => o.name)).toEqual(['low', 'high']);
    expect(Array.from(outputs[0].values)).toEqual([1, 0]);
    expect(Array.from(outputs[1].values)).toEqual([0, 1]);
  });
});

describe('membershipProblem', () => {
  it('should name ordering and sigma problems', () => {
    expect(membershipProblem({ type: 'triangular', a: 0, b: 10, c: 20 })).toBeUndefined();
    expect(membershipProblem({ type: 'triangular', a: 10, b: 0, c: 20 })).toMatch(/a <= b <= c/);
    expect(membershipProblem({ type: 'trapezoidal', a: 0, b: 10, c: 5, d: 20 })).toMatch(/a <= b <= c <= d/);
    expect(membershipProblem({ type: 'gaussian', mean: 0, sigma: 0 })).toMatch(/sigma must be > 0/);
    expect(membershipProblem({ type: 'gaussian', mean: NaN, sigma: 1 })).toMatch(/finite/);
  });
});
