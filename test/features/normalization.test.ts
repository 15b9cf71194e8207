import { describe, expect, it } from 'vitest';
import { parseStrategy } from '../../src/config/strategy.js';
import { applyScaling, fitScaling, scaledFeatures } from '../../src/features/index.js';

describe('fitScaling and applyScaling', () => {
  // Columns: a (minmax), b (zscore), c (left alone); three training rows.
  const names = ['a', 'b', 'c'];
  const methods = new Map<string, 'minmax' | 'zscore'>([
    ['a', 'minmax'],
    ['b', 'zscore'],
  ]);
  const train = Float32Array.from([2, 1, 7, 4, 2, 8, 6, 6, 9]);

  it('should fit min/max and mean/sample std on the rows given', () => {
    // b = 1, 2, 6: mean 3, sample variance (4 + 1 + 9)/2 = 7.
    expect(fitScaling(train, 3, names, methods)).toEqual([
      { feature: 'a', method: 'minmax', min: 2, max: 6 },
      { feature: 'b', method: 'zscore', mean: 3, std: Math.sqrt(7) },
    ]);
  });

  it('should scale only the named columns, leave values outside the training range unclipped, and map a flat column to 0', () => {
    const scalings = fitScaling(train, 3, names, methods);
    const later = Float32Array.from([10, 3 + Math.sqrt(7), 5]);
    applyScaling(later, 1, names, scalings);
    expect(later[0]).toBe(2); // (10 − 2)/4
    expect(later[1]).toBeCloseTo(1, 6);
    expect(later[2]).toBe(5);
    const flat = Float32Array.from([3, 3, 3]);
    applyScaling(flat, 3, ['a'], [{ feature: 'a', method: 'minmax', min: 3, max: 3 }]);
    expect(Array.from(flat)).toEqual([0, 0, 0]);
  });

  it('should refuse a scaling for a feature the matrix does not have', () => {
    expect(() => applyScaling(new Float32Array(1), 1, ['x'], [{ feature: 'y', method: 'zscore', mean: 0, std: 1 }])).toThrow(/y is not among/);
  });
});

describe('scaledFeatures', () => {
  it('should list the raw features to scale per timeframe, skipping none and fuzzy inputs', () => {
    const strategy = parseStrategy(`name: s
training_data: {symbols: [SPX], timeframes: [1d, 1w]}
indicators: {rsi: {type: rsi}, roc: {type: roc}}
fuzzy_sets: {zone: {indicator: rsi, low: [0, 30, 50]}}
nn_inputs:
  - {fuzzy_set: zone}
  - {raw_indicator: rsi, normalization: minmax}
  - {raw_indicator: roc, timeframes: [1d]}
model: {hidden_layers: [4]}
`);
    expect([...scaledFeatures(strategy)]).toEqual([
      ['1d_rsi_raw', 'minmax'],
      ['1w_rsi_raw', 'minmax'],
    ]);
  });
});
