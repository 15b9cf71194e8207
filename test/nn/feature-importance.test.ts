import { describe, expect, it } from 'vitest';
import { permutationImportance } from '../../src/nn/feature-importance.js';
import type { MlpSpec } from '../../src/nn/spec.js';
import { train, type LabelledSet } from '../../src/nn/trainer.js';
import { SeededRandom } from '../../src/util/random.js';

/** Feature 0 decides the class (its sign), feature 1 is noise, feature 2 is a weaker copy of feature 0. */
function dataset(rows: number, seed: number): LabelledSet {
  const rng = new SeededRandom(seed);
  const x = new Float32Array(rows * 3);
  const y = new Int32Array(rows);
  for (let r = 0; r < rows; r++) {
    const signal = rng.nextGaussian();
    x[r * 3] = signal;
    x[r * 3 + 1] = rng.nextGaussian();
    x[r * 3 + 2] = 0.3 * signal + rng.nextGaussian();
    y[r] = signal > 0 ? 0 : 1;
  }
  return { x, y, rows, features: 3 };
}

const spec: MlpSpec = { inputs: 3, hidden: [8], outputs: 2, activation: 'tanh', dropout: 0 };
const names = ['signal', 'noise', 'weak_copy'];

describe('permutationImportance', () => {
  it('ranks the feature the labels come from first and gives noise about nothing', async () => {
    const { weights } = await train({ train: dataset(2000, 1), validation: dataset(500, 2) }, spec, {
      epochs: 20,
      batchSize: 32,
      learningRate: 0.01,
      seed: 3,
    });
    const validation = dataset(500, 4);
    const importance = permutationImportance(weights, validation, names, { repeats: 5, seed: 9 });
    expect(importance.map((entry) => entry.feature)[0]).toBe('signal');
    const byName = Object.fromEntries(importance.map((entry) => [entry.feature, entry]));
    expect(byName.signal.accuracy_drop).toBeGreaterThan(0.3);
    expect(byName.signal.loss_increase).toBeGreaterThan(0.5);
    expect(Math.abs(byName.noise.accuracy_drop)).toBeLessThan(0.03);
    expect(importance.map((entry) => entry.loss_increase)).toEqual([...importance.map((entry) => entry.loss_increase)].sort((a, b) => b - a));
    // The input rows are left as they were.
    expect(validation.x).toEqual(dataset(500, 4).x);
  });

  it('is a function of the seed', async () => {
    const { weights } = await train({ train: dataset(400, 1), validation: dataset(100, 2) }, spec, {
      epochs: 2,
      batchSize: 32,
      learningRate: 0.01,
      seed: 3,
    });
    const set = dataset(200, 5);
    const once = permutationImportance(weights, set, names, { repeats: 3, seed: 1 });
    expect(permutationImportance(weights, set, names, { repeats: 3, seed: 1 })).toEqual(once);
    expect(permutationImportance(weights, set, names, { repeats: 3, seed: 2 })).not.toEqual(once);
    expect(() => permutationImportance(weights, set, names, { repeats: 0, seed: 1 })).toThrow(RangeError);
  });
});
