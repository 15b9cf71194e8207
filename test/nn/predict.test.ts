import { describe, expect, it } from 'vitest';
import { createBackend } from '../../src/nn/backend-registry.js';
import { OPTIMIZER_DEFAULTS } from '../../src/nn/optimizers.js';
import { PREDICT_CHUNK_ROWS, predictLogits, predictProbabilities } from '../../src/nn/predict.js';
import { initGlorotUniform } from '../../src/nn/weights.js';
import type { MlpSpec } from '../../src/nn/spec.js';
import { SeededRandom } from '../../src/util/random.js';
import { randomArray } from './helpers.js';

const spec: MlpSpec = { inputs: 8, hidden: [12, 6], outputs: 3, activation: 'leaky_relu', dropout: 0.5 };

describe('predict', () => {
  const rng = new SeededRandom(9);
  const weights = initGlorotUniform(spec, rng);
  const rows = PREDICT_CHUNK_ROWS * 2 + 37; // several chunks and a ragged end
  const x = randomArray(rows * spec.inputs, rng);

  it('gives probabilities that sum to 1 per row, with dropout off (deterministic)', () => {
    const probabilities = predictProbabilities(weights, x, rows);
    for (let r = 0; r < rows; r++) {
      const sum = probabilities[3 * r] + probabilities[3 * r + 1] + probabilities[3 * r + 2];
      expect(sum).toBeCloseTo(1, 5);
    }
    expect(predictProbabilities(weights, x, rows)).toEqual(probabilities);
  });

  it('computes each row independently of the chunking', () => {
    const all = predictLogits(weights, x, rows);
    const start = PREDICT_CHUNK_ROWS - 3;
    const some = predictLogits(weights, x.subarray(start * spec.inputs, (start + 10) * spec.inputs), 10);
    expect(some).toEqual(all.subarray(start * 3, (start + 10) * 3));
  });

  it('matches the backend’s own inference exactly', async () => {
    const backend = createBackend('js-cpu');
    await backend.init(weights, {
      optimizer: { ...OPTIMIZER_DEFAULTS, kind: 'adam', learningRate: 1e-3, weightDecay: 0, momentum: 0 },
      gradientClip: 0,
      classWeights: null,
      dropoutSeed: 1,
    });
    expect(await backend.predictLogits(x, rows)).toEqual(predictLogits(weights, x, rows));
    await backend.dispose();
  });

  it('rejects input of the wrong size', () => {
    expect(() => predictLogits(weights, x.subarray(1), rows)).toThrow(/features/);
  });
});
