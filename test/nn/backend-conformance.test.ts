import { describe, expect, it } from 'vitest';
import { KtrdrError } from '../../src/errors.js';
import { createOptimizerState } from '../../src/nn/adam.js';
import type { BackendTrainingOptions } from '../../src/nn/backend.js';
import { availableBackends, createBackend } from '../../src/nn/backend-registry.js';
import { lossAndGradients } from '../../src/nn/cpu/mlp-pass.js';
import type { MlpSpec } from '../../src/nn/spec.js';
import { OPTIMIZER_DEFAULTS, optimizerStep } from '../../src/nn/optimizers.js';
import { makeSyntheticClassification } from '../../src/nn/synthetic.js';
import { train } from '../../src/nn/trainer.js';
import { cloneWeights, flattenWeights, initGlorotUniform, weightsFromFlat } from '../../src/nn/weights.js';
import { SeededRandom } from '../../src/util/random.js';
import { randomArray, sameWeightBytes, sliceSet } from './helpers.js';

/**
 * The suite every training backend must pass (nn-stack-evaluation.md, "Conformance tests"), with js-cpu as the
 * reference. A GPU backend registered later runs it unchanged by being in `availableBackends()`.
 */
const spec: MlpSpec = { inputs: 6, hidden: [10, 5], outputs: 3, activation: 'tanh', dropout: 0 };
const options: BackendTrainingOptions = {
  optimizer: { ...OPTIMIZER_DEFAULTS, kind: 'adam', learningRate: 1e-2, weightDecay: 1e-3, momentum: 0 },
  gradientClip: 0.05,
  classWeights: Float32Array.from([1, 2, 0.5]),
  dropoutSeed: 3,
};

for (const backendId of availableBackends()) {
  describe(`backend conformance: ${backendId}`, () => {
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
      const config = { epochs: 2, batchSize: 16, learningRate: 1e-2, seed: 5, backend: backendId };
      const dropoutSpec = { ...spec, dropout: 0.3 };
      const first = await train(split, dropoutSpec, config);
      const second = await train(split, dropoutSpec, config);
      expect(sameWeightBytes(second.weights, first.weights)).toBe(true);
    });

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
      });
      expect(result.history[4].val_accuracy).toBeGreaterThanOrEqual(0.8);
    });
  });
}
