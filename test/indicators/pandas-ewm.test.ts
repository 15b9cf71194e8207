import { describe, expect, it } from 'vitest';
import { ewmMean, ewmRecursive, ewmStd } from '../../src/indicators/pandas-ewm.js';
import { logReturns } from '../../src/labels/volatility.js';

describe('ewmMean (pandas adjust=True)', () => {
  it('weights the value k bars back by (1 − alpha)^k, normalised by the weights seen', () => {
    // span 3 → alpha 0.5: [1], [2·1 + 1·0.5]/1.5, [3 + 2·0.5 + 1·0.25]/1.75
    const mean = ewmMean(Float64Array.from([1, 2, 3]), 3);
    expect(mean[0]).toBe(1);
    expect(mean[1]).toBeCloseTo(2.5 / 1.5, 12);
    expect(mean[2]).toBeCloseTo(4.25 / 1.75, 12);
  });

  it('starts at the first value after leading NaN', () => {
    const mean = ewmMean(Float64Array.from([NaN, 4, 4]), 5);
    expect(Array.from(mean)).toEqual([NaN, 4, 4]);
  });
});

describe('ewmStd (pandas adjust=True, bias=False)', () => {
  it('is NaN for one value and bias-corrected after', () => {
    // By hand: bar 1 weights [0.5, 1], biased var 2/9, correction 1.5²/(1.5² − 1.25) = 2.25 → var 0.5;
    // bar 2 weights [0.25, 0.5, 1], biased var 0.928571/1.75, correction 1.75²/(1.75² − 1.3125) = 1.75 → var 13/14.
    const std = ewmStd(Float64Array.from([1, 2, 3]), 3);
    expect(std[0]).toBeNaN();
    expect(std[1]).toBeCloseTo(Math.sqrt(0.5), 12);
    expect(std[2]).toBeCloseTo(Math.sqrt(13 / 14), 12);
  });

  it('is 0 on a constant series once two values exist', () => {
    expect(Array.from(ewmStd(Float64Array.from([NaN, 2, 2, 2]), 4))).toEqual([NaN, NaN, 0, 0]);
  });
});

describe('ewmRecursive (pandas adjust=False)', () => {
  it('is seeded with the first value and then recursive', () => {
    // alpha 0.5: 1, 0.5·2 + 0.5·1 = 1.5, 0.5·3 + 0.5·1.5 = 2.25
    expect(Array.from(ewmRecursive(Float64Array.from([NaN, 1, 2, 3]), 0.5))).toEqual([NaN, 1, 1.5, 2.25]);
  });
});

describe('logReturns', () => {
  it('is log(C[i]/C[i−1]) with NaN at bar 0', () => {
    const r = logReturns(Float64Array.from([100, 110, 99]));
    expect(r[0]).toBeNaN();
    expect(r[1]).toBeCloseTo(Math.log(1.1), 14);
    expect(r[2]).toBeCloseTo(Math.log(0.9), 14);
  });
});
