import { describe, expect, it } from 'vitest';
import { KtrdrError } from '../../src/errors.js';
import { parseParamArg, parseSeeds, sweepConfigurations } from '../../src/sweeps/param-grid.js';
import { rankConfigurations, type TrialRecord } from '../../src/sweeps/results-table.js';
import { applyOverrides } from '../../src/training/overrides.js';

describe('sweep parameters', () => {
  it('should split values at top-level commas and read each as YAML', () => {
    expect(parseParamArg('training.learning_rate=0.001,0.003,0.01')).toEqual({ path: 'training.learning_rate', values: [0.001, 0.003, 0.01] });
    expect(parseParamArg('model.hidden_layers=[32],[64,32]')).toEqual({ path: 'model.hidden_layers', values: [[32], [64, 32]] });
    expect(parseParamArg('model.activation=relu, tanh').values).toEqual(['relu', 'tanh']);
    expect(() => parseParamArg('learning_rate')).toThrow(/path=value/);
    expect(() => parseParamArg('training.learning_rate=0.1,,0.2')).toThrow(/empty value/);
  });

  it('should read seeds as lists and ranges, without repeats', () => {
    expect(parseSeeds('1-5')).toEqual([1, 2, 3, 4, 5]);
    expect(parseSeeds('1-3,7,2')).toEqual([1, 2, 3, 7]);
    for (const bad of ['5-1', 'a', '', '1,,2', '1-99999']) expect(() => parseSeeds(bad), bad).toThrow(KtrdrError);
  });

  it('should expand the grid in order, the last parameter varying fastest', () => {
    const configurations = sweepConfigurations(
      [
        { path: 'a', values: [1, 2, 3] },
        { path: 'b', values: ['x', 'y'] },
      ],
      { kind: 'grid' },
    );
    expect(configurations.map((c) => c.id)).toEqual(['c1', 'c2', 'c3', 'c4', 'c5', 'c6']);
    expect(configurations.map((c) => c.params)).toEqual([
      { a: 1, b: 'x' },
      { a: 1, b: 'y' },
      { a: 2, b: 'x' },
      { a: 2, b: 'y' },
      { a: 3, b: 'x' },
      { a: 3, b: 'y' },
    ]);
  });

  it('should draw the same distinct random sample for the same seed', () => {
    const axes = [
      { path: 'a', values: Array.from({ length: 20 }, (_, i) => i) },
      { path: 'b', values: Array.from({ length: 20 }, (_, i) => i) },
    ];
    const first = sweepConfigurations(axes, { kind: 'random', samples: 10, seed: 3 });
    expect(first).toHaveLength(10);
    expect(new Set(first.map((c) => JSON.stringify(c.params))).size).toBe(10);
    expect(sweepConfigurations(axes, { kind: 'random', samples: 10, seed: 3 })).toEqual(first);
    expect(sweepConfigurations(axes, { kind: 'random', samples: 10, seed: 4 })).not.toEqual(first);
    expect(sweepConfigurations(axes, { kind: 'random', samples: 1000, seed: 3 })).toHaveLength(400);
  });

  it('should refuse no axis, an axis swept twice, an empty axis and an oversized grid', () => {
    expect(() => sweepConfigurations([], { kind: 'grid' })).toThrow(/at least one parameter/);
    expect(() => sweepConfigurations([], { kind: 'random', samples: 3, seed: 1 })).toThrow(/at least one parameter/);
    expect(() => sweepConfigurations([{ path: 'a', values: [] }], { kind: 'grid' })).toThrow(/no values/);
    expect(() =>
      sweepConfigurations(
        [
          { path: 'a', values: [1] },
          { path: 'a', values: [2] },
        ],
        { kind: 'grid' },
      ),
    ).toThrow(/twice/);
    const big = Array.from({ length: 101 }, (_, i) => i);
    expect(() =>
      sweepConfigurations(
        [
          { path: 'a', values: big },
          { path: 'b', values: big },
        ],
        { kind: 'grid' },
      ),
    ).toThrow(/at most 10000/);
  });

  it('should write parameters into the strategy text by path, list items by index', () => {
    const yaml = 'model: {hidden_layers: [8]}\ntraining:\n  learning_rate: 0.1\nnn_inputs:\n  - fuzzy_set: a\n';
    const out = applyOverrides(yaml, { params: { 'training.learning_rate': 0.003, 'model.hidden_layers': [64, 32], 'nn_inputs.0.fuzzy_set': 'b' } });
    expect(out).toContain('learning_rate: 0.003');
    expect(out).toContain('hidden_layers: [ 64, 32 ]');
    expect(out).toContain('- fuzzy_set: b');
    expect(applyOverrides(yaml, { params: {} })).toBe(yaml);
    expect(() => applyOverrides(yaml, { params: { 'Training..x': 1 } })).toThrow(/params has 'Training..x'/);
  });
});

describe(rankConfigurations.name, () => {
  const trial = (configurationId: string, seed: number, value: number | null, status: TrialRecord['status'] = 'completed'): TrialRecord => ({
    configurationId,
    seed,
    operationId: `op_${configurationId}_${seed}`,
    status,
    value,
    modelVersion: null,
    error: null,
  });
  const configurations = [
    { id: 'c1', params: { lr: 1 } },
    { id: 'c2', params: { lr: 2 } },
    { id: 'c3', params: { lr: 3 } },
  ];
  const trials = [trial('c1', 1, 0.5), trial('c1', 2, 0.7), trial('c2', 1, 0.4), trial('c2', 2, null, 'failed'), trial('c3', 1, null, 'running')];

  it('should rank by the mean across seeds, lowest loss first, with the sample std and failures counted', () => {
    const rows = rankConfigurations(configurations, trials, 'val_loss');
    expect(rows.map((r) => [r.rank, r.configurationId])).toEqual([
      [1, 'c2'],
      [2, 'c1'],
      [null, 'c3'],
    ]);
    expect(rows[0]).toMatchObject({ mean: 0.4, std: null, completed: 1, failed: 1 });
    expect(rows[1].mean).toBeCloseTo(0.6, 15);
    expect(rows[1].std).toBeCloseTo(Math.sqrt(0.02), 15);
  });

  it('should rank highest first for accuracy and Sharpe', () => {
    expect(rankConfigurations(configurations, trials, 'val_accuracy').map((r) => r.configurationId)).toEqual(['c1', 'c2', 'c3']);
    expect(rankConfigurations(configurations, trials, 'val_sharpe')[0].configurationId).toBe('c1');
  });
});
