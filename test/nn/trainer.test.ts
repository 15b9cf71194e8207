import { describe, expect, it } from 'vitest';
import { KtrdrError } from '../../src/errors.js';
import { makeSyntheticClassification } from '../../src/nn/synthetic.js';
import { predictLogits } from '../../src/nn/predict.js';
import { evaluateLogits } from '../../src/nn/metrics.js';
import { focalLoss } from '../../src/nn/loss.js';
import { train, type TrainerConfig, type TrainingData } from '../../src/nn/trainer.js';
import type { MlpSpec } from '../../src/nn/spec.js';
import { gaussianBlobs, sameWeightBytes, sliceSet } from './helpers.js';

const spec: MlpSpec = { inputs: 6, hidden: [16, 8], outputs: 3, activation: 'relu', dropout: 0.2 };
const config: TrainerConfig = { epochs: 3, batchSize: 32, learningRate: 1e-2, seed: 7 };

function blobsData(rows = 600): TrainingData {
  const set = gaussianBlobs(rows, spec.inputs, 1);
  const cut = Math.floor(rows * 0.8);
  return { train: sliceSet(set, 0, cut), validation: sliceSet(set, cut, rows) };
}

/** Validation = the training rows, with every third label moved to the next class. */
function contradictedValidation(): TrainingData {
  const { train: trainSet } = blobsData();
  const y = Int32Array.from(trainSet.y as Int32Array, (label, i) => (i % 3 === 0 ? (label + 1) % 3 : label));
  return { train: trainSet, validation: { ...trainSet, y } };
}

async function rejection(promise: Promise<unknown>): Promise<KtrdrError> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(KtrdrError);
  return error as KtrdrError;
}

describe('train', () => {
  it('learns a separable 3-class problem', async () => {
    const data = blobsData();
    const result = await train(data, spec, { ...config, epochs: 10 });
    const logits = predictLogits(result.weights, data.validation.x, data.validation.rows);
    const report = evaluateLogits(logits, data.validation.y, 3);
    expect(report.accuracy).toBeGreaterThan(0.95);
    expect(result.history).toHaveLength(10);
    expect(result.history[9].train_loss).toBeLessThan(result.history[0].train_loss);
    expect(result.backend).toBe('js-cpu');
  });

  it('learns the nonlinear benchmark problem well above chance and above the majority baseline', async () => {
    const data = makeSyntheticClassification(6000, 20, 3);
    const set = { ...data, features: 20 };
    const trainingData = { train: sliceSet(set, 0, 5000), validation: sliceSet(set, 5000, 6000) };
    const netSpec: MlpSpec = { inputs: 20, hidden: [32, 16], outputs: 3, activation: 'relu', dropout: 0.1 };
    const result = await train(trainingData, netSpec, { epochs: 15, batchSize: 32, learningRate: 3e-3, seed: 1 });
    const report = evaluateLogits(predictLogits(result.weights, trainingData.validation.x, 1000), trainingData.validation.y, 3);
    expect(report.accuracy).toBeGreaterThan(report.baseline_accuracy + 0.2);
  });

  it('is bit-for-bit deterministic for a seed, and a different seed gives different weights', async () => {
    const data = blobsData();
    const first = await train(data, spec, config);
    const second = await train(data, spec, config);
    const other = await train(data, spec, { ...config, seed: 8 });
    expect(sameWeightBytes(second.weights, first.weights)).toBe(true);
    const losses = (history: typeof first.history) => history.map(({ train_loss, val_loss }) => [train_loss, val_loss]);
    expect(losses(second.history)).toEqual(losses(first.history));
    expect(sameWeightBytes(other.weights, first.weights)).toBe(false);
  });

  it('returns the best epoch’s weights, not the last, and early stopping ends the run', async () => {
    // A third of the validation labels contradict the training labels (shifted by one class). The validation loss
    // first falls while the model learns, then rises once its confidence on the contradicted rows costs more than it
    // gains on the rest: the best epoch is in the middle of the run.
    const data = contradictedValidation();
    const earlyStopping = { patience: 3, minDelta: 0 };
    const result = await train(data, spec, { ...config, learningRate: 1e-3, epochs: 40, earlyStopping });

    expect(result.bestEpoch).toBeGreaterThan(1);
    expect(result.stoppedEarly).toBe(true);
    expect(result.history.length).toBe(result.bestEpoch + 3);
    const last = result.history[result.history.length - 1];
    const best = result.history[result.bestEpoch - 1];
    expect(last.val_loss).toBeGreaterThan(best.val_loss);
    // The returned weights reproduce the best epoch's validation loss exactly…
    const bestLogits = predictLogits(result.weights, data.validation.x, data.validation.rows);
    expect(evaluateLogits(bestLogits, data.validation.y, 3).loss).toBe(best.val_loss);
    // …and are the weights a run stopped at that epoch ends with (same seed, so the same trajectory).
    const stoppedThere = await train(data, spec, { ...config, learningRate: 1e-3, epochs: result.bestEpoch });
    expect(sameWeightBytes(result.weights, stoppedThere.weights)).toBe(true);
  });

  it('trains every epoch when early stopping is disabled', async () => {
    const data = contradictedValidation();
    const result = await train(data, spec, { ...config, epochs: 6, earlyStopping: { enabled: false, patience: 1 } });
    expect(result.history).toHaveLength(6);
    expect(result.stoppedEarly).toBe(false);
  });

  it('reports progress through the hooks', async () => {
    const batches: [number, number, number][] = [];
    const epochs: number[] = [];
    const data = blobsData(300); // 240 training rows → 8 batches of 32 (the last one has 16 rows)
    await train(data, spec, config, {
      onBatch: (epoch, batch, total) => batches.push([epoch, batch, total]),
      onEpoch: (record) => epochs.push(record.epoch),
    });
    expect(epochs).toEqual([1, 2, 3]);
    expect(batches).toHaveLength(3 * 8);
    expect(batches[0]).toEqual([1, 1, 8]);
    expect(batches[23]).toEqual([3, 8, 8]);
  });

  it('resolves class weights and records them', async () => {
    const result = await train(blobsData(), spec, { ...config, epochs: 1, classWeights: 'auto' });
    expect(result.classWeights).toHaveLength(3);
    expect(result.classWeights?.every((weight) => weight > 0.9 && weight < 1.1)).toBe(true);
  });

  it('uses weight decay and gradient clipping', async () => {
    const data = blobsData();
    const plain = (await train(data, spec, config)).weights;
    const decayed = (await train(data, spec, { ...config, weightDecay: 0.1 })).weights;
    const clipped = (await train(data, spec, { ...config, gradientClip: 1e-3 })).weights;
    expect(sameWeightBytes(decayed, plain)).toBe(false);
    expect(sameWeightBytes(clipped, plain)).toBe(false);
  });

  it('is deterministic for every optimizer, loss and scheduler, and each of them changes the run', async () => {
    // Contradicted validation labels make the validation loss rise after a few epochs, so the plateau rule acts too.
    const data = contradictedValidation();
    const variants: Partial<TrainerConfig>[] = [
      { optimizer: 'adamw', weightDecay: 0.01 },
      { optimizer: 'sgd', learningRate: 0.05 },
      { optimizer: 'sgd', learningRate: 0.05, momentum: 0 },
      { optimizer: 'rmsprop', learningRate: 1e-3 },
      { loss: { kind: 'focal', gamma: 2 }, classWeights: [1, 2, 1] },
      { lrScheduler: { type: 'step', stepSize: 1, gamma: 0.5 } },
      { lrScheduler: { type: 'exponential', gamma: 0.9 } },
      { lrScheduler: { type: 'cosine', tMax: 3, etaMin: 0 } },
      { lrScheduler: { type: 'reduce_on_plateau', factor: 0.5, patience: 0, minLr: 0 } },
    ];
    const base = { ...config, epochs: 6 };
    const plain = await train(data, spec, base);
    for (const variant of variants) {
      const first = await train(data, spec, { ...base, ...variant });
      const second = await train(data, spec, { ...base, ...variant });
      expect(sameWeightBytes(second.weights, first.weights), JSON.stringify(variant)).toBe(true);
      expect(second.history.map((r) => r.val_loss)).toEqual(first.history.map((r) => r.val_loss));
      // The returned weights may be an early best epoch's, so the change shows in the losses of the whole run.
      expect(
        first.history.map((r) => r.train_loss),
        JSON.stringify(variant),
      ).not.toEqual(plain.history.map((r) => r.train_loss));
      if (variant.lrScheduler?.type === 'reduce_on_plateau') expect(first.history[5].learning_rate).toBeLessThan(config.learningRate);
    }
  });

  it('records the learning rate each epoch trained with', async () => {
    const result = await train(blobsData(300), spec, { ...config, epochs: 4, lrScheduler: { type: 'step', stepSize: 2, gamma: 0.1 } });
    expect(result.history.map((r) => Number(r.learning_rate.toPrecision(12)))).toEqual([1e-2, 1e-2, 1e-3, 1e-3]);
    const constant = await train(blobsData(300), spec, { ...config, epochs: 2 });
    expect(constant.history.map((r) => r.learning_rate)).toEqual([1e-2, 1e-2]);
  });

  it('uses the focal loss for the validation loss too', async () => {
    const data = blobsData(300);
    const focal = await train(data, spec, { ...config, epochs: 1, loss: { kind: 'focal', gamma: 2 } });
    const logits = predictLogits(focal.weights, data.validation.x, data.validation.rows);
    const expected = focalLoss(logits, data.validation.y, data.validation.rows, 3, 2, null, null).loss;
    expect(focal.history[0].val_loss).toBe(expected);
  });

  it('cancels mid-epoch at the next batch', async () => {
    const controller = new AbortController();
    let batchesSeen = 0;
    const error = await rejection(
      train(blobsData(), spec, config, {
        signal: controller.signal,
        onBatch: (epoch, batch) => {
          batchesSeen++;
          if (epoch === 2 && batch === 5) controller.abort();
        },
      }),
    );
    expect(error.code).toBe('CANCELLED');
    expect(batchesSeen).toBe(15 + 5); // 480 rows = 15 batches in epoch 1, then 5 in epoch 2
  });

  it('lands an abort from a timer within 100 ms, because the training loop yields to the event loop', async () => {
    const data = makeSyntheticClassification(20_000, 40, 1);
    const set = { ...data, features: 40 };
    const bigSpec: MlpSpec = { inputs: 40, hidden: [64, 32], outputs: 3, activation: 'relu', dropout: 0.2 };
    const controller = new AbortController();
    let abortedAt = 0;
    setTimeout(() => {
      abortedAt = performance.now();
      controller.abort();
    }, 150);
    const split = { train: sliceSet(set, 0, 16_000), validation: sliceSet(set, 16_000, 20_000) };
    const error = await rejection(train(split, bigSpec, { ...config, epochs: 1000 }, { signal: controller.signal }));
    const latency = performance.now() - abortedAt;
    expect(error.code).toBe('CANCELLED');
    expect(abortedAt).toBeGreaterThan(0);
    expect(latency).toBeLessThan(100);
  });

  it('refuses to start with an already aborted signal', async () => {
    const error = await rejection(train(blobsData(), spec, config, { signal: AbortSignal.abort() }));
    expect(error.code).toBe('CANCELLED');
  });

  it('fails with TRAINING_DIVERGED when the loss stops being finite', async () => {
    const error = await rejection(train(blobsData(), spec, { ...config, learningRate: 1e36 }));
    expect(error.code).toBe('TRAINING_DIVERGED');
    expect(error.details).toMatchObject({ epoch: 1 });
  });

  it('rejects inconsistent inputs as VALIDATION_FAILED', async () => {
    const data = blobsData();
    const cases: [TrainingData, MlpSpec, TrainerConfig][] = [
      [data, { ...spec, inputs: 5 }, config],
      [{ ...data, train: { ...data.train, y: new Int32Array(data.train.rows).fill(3) } }, spec, config],
      [{ ...data, train: { ...data.train, x: data.train.x.map((v, i) => (i === 5 ? Number.NaN : v)) } }, spec, config],
      [data, spec, { ...config, batchSize: 0 }],
      [data, spec, { ...config, learningRate: -1 }],
      [data, { ...spec, dropout: 1 }, config],
      [data, spec, { ...config, classWeights: [1, 2] }],
      [data, spec, { ...config, backend: 'webgpu-that-is-not-there' }],
      [data, spec, { ...config, optimizer: 'lbfgs' as never }],
      [data, spec, { ...config, loss: { kind: 'focal', gamma: -1 } }],
      [data, spec, { ...config, momentum: -0.5 }],
    ];
    for (const [caseData, caseSpec, caseConfig] of cases) {
      expect((await rejection(train(caseData, caseSpec, caseConfig))).code).toBe('VALIDATION_FAILED');
    }
  });
});
