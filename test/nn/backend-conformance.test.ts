import { describe, expect, it } from 'vitest';
import { KtrdrError } from '../../src/errors.js';
import { createOptimizerState } from '../../src/nn/adam.js';
import type { BackendTrainingOptions } from '../../src/nn/backend.js';
import { availableBackends, createBackend, createBackend as createAnyBackend } from '../../src/nn/backend-registry.js';
import { lossAndGradients } from '../../src/nn/cpu/mlp-pass.js';
import { softmaxCrossEntropy } from '../../src/nn/loss.js';
import { OPTIMIZER_DEFAULTS, optimizerStep } from '../../src/nn/optimizers.js';
import { ACTIVATIONS, type MlpSpec } from '../../src/nn/spec.js';
import { makeSyntheticClassification } from '../../src/nn/synthetic.js';
import { train } from '../../src/nn/trainer.js';
import { cloneWeights, flattenWeights, initGlorotUniform, weightsFromFlat } from '../../src/nn/weights.js';
import { SeededRandom } from '../../src/util/random.js';
import { randomArray, sameWeightBytes, sliceSet } from './helpers.js';

/**
 * The suite every training backend must pass (nn-stack-evaluation.md, "Conformance tests"), with js-cpu as the
 * reference. A GPU backend registered later runs it unchanged by being in `availableBackends()`. A backend that
 * computes on several threads runs it twice: on one thread and on two.
 */
const spec: MlpSpec = { inputs: 6, hidden: [10, 5], outputs: 3, activation: 'tanh', dropout: 0 };
const options: BackendTrainingOptions = {
  optimizer: { ...OPTIMIZER_DEFAULTS, kind: 'adam', learningRate: 1e-2, weightDecay: 1e-3, momentum: 0 },
  gradientClip: 0.05,
  classWeights: Float32Array.from([1, 2, 0.5]),
  dropoutSeed: 3,
};

const configurations = availableBackends().flatMap((backendId) =>
  createBackend(backendId, { threads: 2 }).threads > 1
    ? [
        { backendId, threads: 1, name: backendId },
        { backendId, threads: 2, name: `${backendId} on 2 threads` },
      ]
    : [{ backendId, threads: 1, name: backendId }],
);

/** Largest |a − b| / max(1, |b|): "within 1e-5 relative" with an absolute floor for values near 0. */
function worstRelative(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs(actual[i] - expected[i]) / Math.max(1, Math.abs(expected[i])));
  return worst;
}

for (const { backendId, threads, name } of configurations) {
  const createBackend = (id: string) => createAnyBackend(id, { threads });
  describe(`backend conformance: ${name}`, () => {
    const rng = new SeededRandom(21);
    const rows = 9;
    const x = randomArray(rows * spec.inputs, rng);
    const y = Int32Array.from({ length: rows }, (_, i) => (i * 7) % 3);

    it('takes batch steps like the reference (loss, clipping, weight decay, Adam) within 1e-5', async () => {
      const initial = initGlorotUniform(spec, rng);
      const backend = createBackend(backendId);
      await backend.init(initial, options);
      await backend.setTrainData(x, y, rows);
      // Two batches (5 rows, then 4): a single Adam step from zero moments is ≈ lr·sign(g) and would hide a wrong
      // gradient scale, such as missing clipping.
      const stats = await backend.runEpoch(
        Int32Array.from({ length: rows }, (_, i) => i),
        5,
      );

      const expected = flattenWeights(initial);
      const optimizer = createOptimizerState(expected.length);
      let lossSum = 0;
      for (const [start, end] of [
        [0, 5],
        [5, rows],
      ]) {
        const batchX = x.subarray(start * spec.inputs, end * spec.inputs);
        const current = weightsFromFlat(spec, expected);
        const batchY = y.subarray(start, end);
        const { loss, grads } = lossAndGradients(current, batchX, batchY, end - start, options.classWeights, null);
        const flatGrads = flattenWeights(grads);
        const scale = Math.min(1, options.gradientClip / (Math.hypot(...flatGrads) + 1e-6));
        optimizerStep(
          expected,
          flatGrads.map((g) => g * scale),
          optimizer,
          options.optimizer,
        );
        lossSum += loss * (end - start);
      }

      expect(stats.loss).toBeCloseTo(lossSum / rows, 5);
      const actual = flattenWeights(await backend.getWeights());
      const worst = Math.max(...actual.map((value, i) => Math.abs(value - expected[i]) / Math.max(1, Math.abs(expected[i]))));
      expect(worst).toBeLessThanOrEqual(1e-5);
      await backend.dispose();
    });

    it('trains like the reference over a short run (epochs, dropout, class weights, clipping) within 1e-5', async () => {
      const data = { ...makeSyntheticClassification(700, 6, 9), features: 6 };
      const split = { train: sliceSet(data, 0, 600), validation: sliceSet(data, 600, 700) };
      // 100-row batches: several micro-batches per batch where a backend splits them, and a short last batch.
      const config = { epochs: 3, batchSize: 100, learningRate: 1e-2, weightDecay: 1e-4, gradientClip: 1, classWeights: 'auto' as const, seed: 2 };
      const dropoutSpec = { ...spec, activation: 'relu' as const, dropout: 0.2 };
      const reference = await train(split, dropoutSpec, { ...config, backend: 'js-cpu' });
      const result = await train(split, dropoutSpec, { ...config, backend: backendId, threads });
      expect(result.threads).toBe(threads);
      expect(worstRelative(flattenWeights(result.weights), flattenWeights(reference.weights))).toBeLessThanOrEqual(1e-5);
      expect(
        worstRelative(
          result.history.map((epoch) => epoch.train_loss),
          reference.history.map((epoch) => epoch.train_loss),
        ),
      ).toBeLessThanOrEqual(1e-5);
      expect(
        worstRelative(
          result.history.map((epoch) => epoch.val_loss),
          reference.history.map((epoch) => epoch.val_loss),
        ),
      ).toBeLessThanOrEqual(1e-5);
    });

    for (const activation of ACTIVATIONS) {
      it(`has gradients that agree with finite differences of its own forward pass (${activation})`, async () => {
        const checkSpec: MlpSpec = { inputs: 5, hidden: [6, 4], outputs: 3, activation, dropout: 0 };
        const checkRng = new SeededRandom(11);
        const initial = initGlorotUniform(checkSpec, checkRng);
        // Non-zero biases so that no unit sits exactly on a ReLU kink.
        for (const layer of initial.layers) for (let i = 0; i < layer.b.length; i++) layer.b[i] = 0.1 * checkRng.nextGaussian();
        // Smooth activations: 70 rows, three micro-batches where a backend splits batches, the last one short. ReLU-like
        // ones: 40 rows (two micro-batches), few enough that no perturbation here moves a unit across its kink, where
        // the difference quotient would be wrong (70 rows do cross one).
        const kinked = activation === 'relu' || activation === 'leaky_relu';
        const checkRows = kinked ? 40 : 70;
        const checkX = randomArray(checkRows * checkSpec.inputs, checkRng);
        const checkY = Int32Array.from({ length: checkRows }, (_, i) => (i * 2) % 3);
        const classWeights = Float32Array.from([0.5, 2, 1.25]);
        // The backend's gradient, read off one Adam step: from zero moments it moves θ by lr·g/(|g| + eps), so with
        // lr = eps = 1, d = −Δθ gives g = d/(1 − |d|). No weight decay, no clipping.
        const backend = createBackend(backendId);
        await backend.init(initial, {
          optimizer: { ...OPTIMIZER_DEFAULTS, kind: 'adam', learningRate: 1, eps: 1, weightDecay: 0, momentum: 0 },
          gradientClip: 0,
          classWeights,
          dropoutSeed: 1,
        });
        await backend.setTrainData(checkX, checkY, checkRows);
        await backend.runEpoch(
          Int32Array.from({ length: checkRows }, (_, i) => i),
          checkRows,
        );
        const before = flattenWeights(initial);
        const after = flattenWeights(await backend.getWeights());
        const analytic = before.map((value, i) => {
          const d = value - after[i];
          return d / (1 - Math.abs(d));
        });

        // The numeric gradient of the loss of the backend's own logits (inference: the same network without dropout).
        const loss = async (flat: Float32Array): Promise<number> => {
          await backend.setWeights(weightsFromFlat(checkSpec, flat));
          const logits = await backend.predictLogits(checkX, checkRows);
          return softmaxCrossEntropy(logits, checkY, checkRows, checkSpec.outputs, classWeights, null).loss;
        };
        const step = kinked ? 1e-3 : 3e-3;
        let worst = 0;
        const flat = before.slice();
        for (let i = 0; i < flat.length; i++) {
          const [up, down] = [Math.fround(before[i] + step), Math.fround(before[i] - step)];
          flat[i] = up;
          const lossUp = await loss(flat);
          flat[i] = down;
          const lossDown = await loss(flat);
          flat[i] = before[i];
          const numeric = (lossUp - lossDown) / (up - down);
          worst = Math.max(worst, Math.abs(numeric - analytic[i]) / Math.max(1e-2, Math.abs(numeric) + Math.abs(analytic[i])));
        }
        expect(worst).toBeLessThan(2e-3);
        await backend.dispose();
      });
    }

    it('hands out weight copies and accepts weights back', async () => {
      const backend = createBackend(backendId);
      await backend.init(initGlorotUniform(spec, rng), options);
      await backend.setTrainData(x, y, rows);
      const before = await backend.getWeights();
      const snapshot = cloneWeights(before);
      await backend.runEpoch(
        Int32Array.from({ length: rows }, (_, i) => i),
        4,
      );
      expect(sameWeightBytes(before, snapshot)).toBe(true);
      expect(sameWeightBytes(await backend.getWeights(), snapshot)).toBe(false);
      await backend.setWeights(before);
      expect(sameWeightBytes(await backend.getWeights(), snapshot)).toBe(true);
      await backend.dispose();
    });

    it('throws CANCELLED before a batch when the signal is aborted', async () => {
      const backend = createBackend(backendId);
      await backend.init(initGlorotUniform(spec, rng), options);
      await backend.setTrainData(x, y, rows);
      const error = await backend.runEpoch(new Int32Array(rows), 4, AbortSignal.abort()).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(KtrdrError);
      expect((error as KtrdrError).code).toBe('CANCELLED');
      await backend.dispose();
    });

    it('continues bit-identically from an exported state (what a checkpoint holds)', async () => {
      const withDropout = { ...options, dropoutSeed: 11 };
      const dropoutSpec = { ...spec, dropout: 0.3 };
      const initial = initGlorotUniform(dropoutSpec, new SeededRandom(8));
      const order = Int32Array.from({ length: rows }, (_, i) => rows - 1 - i);
      const epochs = async (backend: ReturnType<typeof createBackend>, count: number): Promise<void> => {
        for (let i = 0; i < count; i++) await backend.runEpoch(order, 4);
      };

      const uninterrupted = createBackend(backendId);
      await uninterrupted.init(initial, withDropout);
      await uninterrupted.setTrainData(x, y, rows);
      await epochs(uninterrupted, 4);

      const first = createBackend(backendId);
      await first.init(initial, withDropout);
      await first.setTrainData(x, y, rows);
      await epochs(first, 2);
      const saved = await first.exportState();
      await epochs(first, 1); // training after the export must not change the exported copy
      await first.dispose();

      const resumed = createBackend(backendId);
      await resumed.init(initial, withDropout);
      await resumed.setTrainData(x, y, rows);
      await resumed.importState(saved);
      await epochs(resumed, 2);

      expect(sameWeightBytes(await resumed.getWeights(), await uninterrupted.getWeights())).toBe(true);
      const [a, b] = [await resumed.exportState(), await uninterrupted.exportState()];
      expect(a.optimizer.step).toBe(b.optimizer.step);
      expect(Buffer.from(a.optimizer.v.buffer).equals(Buffer.from(b.optimizer.v.buffer))).toBe(true);
      expect(a.dropoutRngState).toBe(b.dropoutRngState);
      await Promise.all([resumed.dispose(), uninterrupted.dispose()]);
    });

    it('is deterministic when it says so', async () => {
      const backend = createBackend(backendId);
      if (!backend.deterministic) return;
      const data = { ...makeSyntheticClassification(500, 6, 2), features: 6 };
      const split = { train: sliceSet(data, 0, 400), validation: sliceSet(data, 400, 500) };
      const config = { epochs: 2, batchSize: 16, learningRate: 1e-2, seed: 5, backend: backendId, threads };
      const dropoutSpec = { ...spec, dropout: 0.3 };
      const first = await train(split, dropoutSpec, config);
      const second = await train(split, dropoutSpec, config);
      expect(sameWeightBytes(second.weights, first.weights)).toBe(true);
    });

    if (threads > 1) {
      it('gives the weights of one thread, bit for bit', async () => {
        const data = { ...makeSyntheticClassification(900, 6, 4), features: 6 };
        const split = { train: sliceSet(data, 0, 800), validation: sliceSet(data, 800, 900) };
        const config = { epochs: 2, batchSize: 96, learningRate: 1e-2, classWeights: 'auto' as const, seed: 6, backend: backendId };
        const dropoutSpec = { ...spec, dropout: 0.3 };
        const one = await train(split, dropoutSpec, { ...config, threads: 1 });
        const many = await train(split, dropoutSpec, { ...config, threads });
        expect(many.threads).toBe(threads);
        expect(sameWeightBytes(many.weights, one.weights)).toBe(true);
        const losses = (history: typeof one.history) => history.map(({ duration_ms: _duration, ...rest }) => rest);
        expect(losses(many.history)).toEqual(losses(one.history));
      });
    }

    it('reaches ≥ 0.80 validation accuracy on the evaluation protocol (80k rows, 5 epochs, batch 32)', async () => {
      const data = { ...makeSyntheticClassification(100_000, 40, 2026), features: 40 };
      const split = { train: sliceSet(data, 0, 80_000), validation: sliceSet(data, 80_000, 100_000) };
      const protocolSpec: MlpSpec = { inputs: 40, hidden: [64, 32], outputs: 3, activation: 'relu', dropout: 0.2 };
      const result = await train(split, protocolSpec, {
        epochs: 5,
        batchSize: 32,
        learningRate: 1e-3,
        seed: 1,
        backend: backendId,
        threads,
      });
      expect(result.history[4].val_accuracy).toBeGreaterThanOrEqual(0.8);
      // 2 M training samples: seconds on js-cpu, past the 60 s default on a heavily loaded machine.
    }, 240_000);
  });
}
