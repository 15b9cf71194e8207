import { describe, expect, it } from 'vitest';
import { lossAndGradients } from '../../src/nn/cpu/mlp-pass.js';
import { regressionLoss, trainingLoss, type RegressionLoss } from '../../src/nn/loss.js';
import type { MlpSpec } from '../../src/nn/spec.js';
import { train } from '../../src/nn/trainer.js';
import { flattenWeights, initGlorotUniform, weightsFromFlat } from '../../src/nn/weights.js';
import { SeededRandom } from '../../src/util/random.js';
import { randomArray, sameWeightBytes } from './helpers.js';

// diffs p − y = [0.5, −1.5, 3, −0.1]
const predictions = Float32Array.from([0.5, -1, 2, 0.1]);
const targets = [0, 0.5, -1, 0.2];

describe('regressionLoss', () => {
  it('mse: mean of (p − y)², gradient 2(p − y)/n (hand-computed)', () => {
    const grad = new Float32Array(4);
    const result = regressionLoss({ kind: 'mse' }, predictions, targets, 4, grad);
    // (0.25 + 2.25 + 9 + 0.01) / 4
    expect(result.loss).toBeCloseTo(2.8775, 6);
    const expected = [0.25, -0.75, 1.5, -0.05];
    for (let i = 0; i < 4; i++) expect(grad[i]).toBeCloseTo(expected[i], 6);
    expect(result.correct).toBe(1); // only the last row has the target's sign (0 is its own sign)
    expect(result.weightSum).toBe(4);
  });

  it('huber δ = 1: quadratic within δ, linear beyond (hand-computed)', () => {
    const grad = new Float32Array(4);
    const result = regressionLoss({ kind: 'huber', delta: 1 }, predictions, targets, 4, grad);
    // 0.5·0.25 + 1·(1.5 − 0.5) + 1·(3 − 0.5) + 0.5·0.01 = 3.63, over 4 rows
    expect(result.loss).toBeCloseTo(0.9075, 6);
    const expected = [0.125, -0.25, 0.25, -0.025];
    for (let i = 0; i < 4; i++) expect(grad[i]).toBeCloseTo(expected[i], 6);
  });

  it('huber with a δ above every residual is half the mse', () => {
    const mse = regressionLoss({ kind: 'mse' }, predictions, targets, 4, null).loss;
    expect(regressionLoss({ kind: 'huber', delta: 10 }, predictions, targets, 4, null).loss).toBeCloseTo(mse / 2, 10);
  });

  it('trainingLoss dispatches regression kinds and ignores class weights for them', () => {
    const loss: RegressionLoss = { kind: 'huber', delta: 0.01 };
    expect(trainingLoss(loss, predictions, targets, 4, 1, Float32Array.from([5, 5]), null)).toEqual(
      regressionLoss(loss, predictions, targets, 4, null),
    );
  });

  for (const loss of [{ kind: 'mse' }, { kind: 'huber', delta: 0.3 }] as RegressionLoss[]) {
    it(`${loss.kind}: the gradient is the derivative of the value (central differences)`, () => {
      const rng = new SeededRandom(3);
      const p = Array.from({ length: 6 }, () => rng.nextGaussian());
      const y = Array.from({ length: 6 }, () => rng.nextGaussian());
      const grad = new Float32Array(6);
      regressionLoss(loss, Float32Array.from(p), y, 6, grad);
      const h = 1e-3;
      for (let i = 0; i < 6; i++) {
        const at = (v: number) => regressionLoss(loss, Float32Array.from(p.map((q, j) => (j === i ? v : q))), y, 6, null).loss;
        expect(grad[i]).toBeCloseTo((at(p[i] + h) - at(p[i] - h)) / (2 * h), 3);
      }
    });
  }
});

describe('a one-output network with a regression loss', () => {
  const spec: MlpSpec = { inputs: 4, hidden: [6, 5], outputs: 1, activation: 'tanh', dropout: 0 };

  for (const loss of [{ kind: 'mse' }, { kind: 'huber', delta: 0.2 }] as RegressionLoss[]) {
    it(`${loss.kind}: backward pass agrees with finite differences for every parameter`, () => {
      const rng = new SeededRandom(11);
      const weights = weightsFromFlat(spec, flattenWeights(initGlorotUniform(spec, rng)));
      const flat = flattenWeights(weights);
      const view = weightsFromFlat(spec, flat);
      const x = randomArray(7 * spec.inputs, rng);
      const y = Float64Array.from({ length: 7 }, () => rng.nextGaussian());
      const analytic = flattenWeights(lossAndGradients(view, x, y, 7, null, null, loss).grads);
      let worst = 0;
      for (let i = 0; i < flat.length; i++) {
        const original = flat[i];
        const up = Math.fround(original + 3e-3);
        const down = Math.fround(original - 3e-3);
        flat[i] = up;
        const lossUp = lossAndGradients(view, x, y, 7, null, null, loss).loss;
        flat[i] = down;
        const lossDown = lossAndGradients(view, x, y, 7, null, null, loss).loss;
        flat[i] = original;
        const numeric = (lossUp - lossDown) / (up - down);
        worst = Math.max(worst, Math.abs(numeric - analytic[i]) / Math.max(1e-2, Math.abs(numeric) + Math.abs(analytic[i])));
      }
      expect(worst).toBeLessThan(2e-3);
    });
  }

  /** y = 0.5·x0 − 0.3·x1 + small noise: learnable, so a working regressor beats predicting 0. */
  function linearSet(rows: number, seed: number) {
    const rng = new SeededRandom(seed);
    const x = randomArray(rows * spec.inputs, rng);
    const y = Float64Array.from({ length: rows }, (_, r) => 0.5 * x[r * 4] - 0.3 * x[r * 4 + 1] + 0.05 * rng.nextGaussian());
    return { x, y, rows, features: spec.inputs };
  }
  const data = { train: linearSet(400, 1), validation: linearSet(100, 2) };
  const config = { epochs: 30, batchSize: 32, learningRate: 0.01, seed: 7 };

  for (const loss of [{ kind: 'mse' }, { kind: 'huber', delta: 0.1 }] as RegressionLoss[]) {
    it(`${loss.kind}: learns the target, and the same seed gives bit-identical weights`, async () => {
      const a = await train(data, spec, { ...config, loss });
      const b = await train(data, spec, { ...config, loss });
      const c = await train(data, spec, { ...config, loss, seed: 8 });
      expect(sameWeightBytes(a.weights, b.weights)).toBe(true);
      expect(sameWeightBytes(a.weights, c.weights)).toBe(false);
      expect(a.history).toEqual(b.history.map((r, i) => ({ ...r, duration_ms: a.history[i].duration_ms })));
      const zeroLoss = regressionLoss(loss, new Float32Array(100), data.validation.y, 100, null).loss;
      expect(a.history[a.history.length - 1].val_loss).toBeLessThan(zeroLoss / 5);
      expect(a.history[a.history.length - 1].val_accuracy).toBeGreaterThan(0.85); // directional
    });
  }

  it('refuses a regression loss on a classifier, a classifier on one output, and class weights', async () => {
    await expect(train(data, { ...spec, outputs: 3 }, { ...config, loss: { kind: 'mse' } })).rejects.toThrow(/needs a network with one output/);
    await expect(train(data, spec, config)).rejects.toThrow(/needs loss mse or huber/);
    await expect(train(data, spec, { ...config, loss: { kind: 'mse' }, classWeights: 'auto' })).rejects.toThrow(/class weights/);
    await expect(train(data, spec, { ...config, loss: { kind: 'huber', delta: 0 } })).rejects.toThrow(/huber_delta/);
  });
});
