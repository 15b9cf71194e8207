import { describe, expect, it } from 'vitest';
import { lossAndGradients } from '../../src/nn/cpu/mlp-pass.js';
import type { ClassificationLoss } from '../../src/nn/loss.js';
import { flattenWeights, initGlorotUniform, weightsFromFlat } from '../../src/nn/weights.js';
import { ACTIVATIONS, type MlpSpec } from '../../src/nn/spec.js';
import { SeededRandom } from '../../src/util/random.js';
import { randomArray } from './helpers.js';

/**
 * Finite-difference check of the whole backward pass: every parameter's analytic gradient against the central
 * difference of the loss. Parameters are float32, so the step actually taken is measured after rounding
 * (fround(θ ± h)), and the tolerance allows for float32 storage of the activations (~1e-7 relative noise in the loss,
 * divided by 2h). Smooth activations take a larger step (less noise); ReLU-like ones a smaller one, so that no
 * perturbation crosses a kink.
 */
const ROWS = 7; // not a multiple of the 4-row kernel tile, so the remainder paths are checked too
const TOLERANCE = 2e-3;

function stepFor(spec: MlpSpec): number {
  return spec.hidden.length > 0 && (spec.activation === 'relu' || spec.activation === 'leaky_relu') ? 1e-3 : 3e-3;
}

interface CheckCase {
  spec: MlpSpec;
  classWeights: Float32Array | null;
  /** Seed for a dropout generator recreated before every evaluation, so every evaluation uses the same masks. */
  dropoutSeed: number | null;
  loss?: ClassificationLoss;
}

function worstGradientError({ spec, classWeights, dropoutSeed, loss: lossKind }: CheckCase): { worst: number; checked: number } {
  const rng = new SeededRandom(11);
  const flat = flattenWeights(initGlorotUniform(spec, rng));
  // Non-zero biases so that no unit sits exactly on a ReLU kink.
  const weights = weightsFromFlat(spec, flat);
  for (const layer of weights.layers) for (let i = 0; i < layer.b.length; i++) layer.b[i] = 0.1 * rng.nextGaussian();
  const x = randomArray(ROWS * spec.inputs, rng);
  const labels = Int32Array.from({ length: ROWS }, (_, i) => i % spec.outputs);
  const dropout = (): SeededRandom | null => (dropoutSeed === null ? null : new SeededRandom(dropoutSeed));
  const loss = (): number => lossAndGradients(weights, x, labels, ROWS, classWeights, dropout(), lossKind).loss;

  const analytic = flattenWeights(lossAndGradients(weights, x, labels, ROWS, classWeights, dropout(), lossKind).grads);
  const step = stepFor(spec);
  let worst = 0;
  for (let i = 0; i < flat.length; i++) {
    const original = flat[i];
    const up = Math.fround(original + step);
    const down = Math.fround(original - step);
    flat[i] = up;
    const lossUp = loss();
    flat[i] = down;
    const lossDown = loss();
    flat[i] = original;
    const numeric = (lossUp - lossDown) / (up - down);
    const error = Math.abs(numeric - analytic[i]) / Math.max(1e-2, Math.abs(numeric) + Math.abs(analytic[i]));
    worst = Math.max(worst, error);
  }
  return { worst, checked: flat.length };
}

const baseSpec: MlpSpec = { inputs: 5, hidden: [6, 4], outputs: 3, activation: 'relu', dropout: 0 };

describe('backward pass agrees with finite differences', () => {
  for (const activation of ACTIVATIONS) {
    it(`${activation} layers`, () => {
      const spec = { ...baseSpec, activation };
      const { worst, checked } = worstGradientError({ spec, classWeights: null, dropoutSeed: null });
      expect(checked).toBe(5 * 6 + 6 + 6 * 4 + 4 + 4 * 3 + 3);
      expect(worst).toBeLessThan(TOLERANCE);
    });
  }

  it('dropout with a fixed mask', () => {
    const spec = { ...baseSpec, activation: 'tanh' as const, dropout: 0.4 };
    const { worst } = worstGradientError({ spec, classWeights: null, dropoutSeed: 5 });
    expect(worst).toBeLessThan(TOLERANCE);
  });

  it('dropout masks really drop units while training and not otherwise', () => {
    const spec = { ...baseSpec, dropout: 0.4 };
    const rng = new SeededRandom(3);
    const weights = initGlorotUniform(spec, rng);
    const x = randomArray(ROWS * spec.inputs, rng);
    const labels = new Int32Array(ROWS);
    const plain = lossAndGradients(weights, x, labels, ROWS, null, null).loss;
    const dropped = lossAndGradients(weights, x, labels, ROWS, null, new SeededRandom(5)).loss;
    expect(dropped).not.toBe(plain);
  });

  it('class-weighted loss', () => {
    const { worst } = worstGradientError({
      spec: { ...baseSpec, activation: 'sigmoid' },
      classWeights: Float32Array.from([0.5, 2, 1.25]),
      dropoutSeed: null,
    });
    expect(worst).toBeLessThan(TOLERANCE);
  });

  it('focal loss with class weights as α', () => {
    for (const gamma of [0.5, 2]) {
      const { worst } = worstGradientError({
        spec: { ...baseSpec, activation: 'tanh' },
        classWeights: Float32Array.from([0.5, 2, 1.25]),
        dropoutSeed: null,
        loss: { kind: 'focal', gamma },
      });
      expect(worst).toBeLessThan(TOLERANCE);
    }
  });

  it('a network without hidden layers (softmax regression)', () => {
    const { worst } = worstGradientError({ spec: { ...baseSpec, hidden: [] }, classWeights: null, dropoutSeed: null });
    expect(worst).toBeLessThan(TOLERANCE);
  });
});
