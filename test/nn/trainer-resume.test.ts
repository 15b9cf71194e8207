import { describe, expect, it } from 'vitest';
import { KtrdrError } from '../../src/errors.js';
import { train, type EpochRecord, type TrainerConfig, type TrainerResult, type TrainerState, type TrainingData } from '../../src/nn/trainer.js';
import type { MlpSpec } from '../../src/nn/spec.js';
import { gaussianBlobs, sameWeightBytes, sliceSet } from './helpers.js';

const spec: MlpSpec = { inputs: 6, hidden: [16, 8], outputs: 3, activation: 'relu', dropout: 0.3 };
/** Noisy enough that early stopping triggers after a few epochs, with dropout and class weights on. */
const config: TrainerConfig = {
  epochs: 40,
  batchSize: 16,
  learningRate: 2e-2,
  seed: 5,
  classWeights: 'auto',
  earlyStopping: { patience: 4, minDelta: 0.0001 },
};

function noisyData(): TrainingData {
  const set = gaussianBlobs(500, spec.inputs, 3);
  const y = Int32Array.from(set.y, (label, i) => (i % 4 === 0 ? (label + 1) % 3 : label));
  const noisy = { ...set, y };
  return { train: sliceSet(noisy, 0, 400), validation: sliceSet(noisy, 400, 500) };
}

/** Everything of an epoch record but its wall time, which no two runs share. */
function metricsOnly(history: readonly EpochRecord[]): Omit<EpochRecord, 'duration_ms'>[] {
  return history.map(({ duration_ms: _wallTime, ...rest }) => rest);
}

function expectSameRun(actual: TrainerResult, expected: TrainerResult): void {
  expect(sameWeightBytes(actual.weights, expected.weights)).toBe(true);
  expect(metricsOnly(actual.history)).toEqual(metricsOnly(expected.history));
  expect(actual.bestEpoch).toBe(expected.bestEpoch);
  expect(actual.stoppedEarly).toBe(expected.stoppedEarly);
}

/** Trains until the state after `epoch` is saved, then cancels, and hands back that state. */
async function stateAfter(data: TrainingData, epoch: number, resumeFrom?: TrainerState): Promise<TrainerState> {
  const controller = new AbortController();
  const saved: TrainerState[] = [];
  const run = train(
    data,
    spec,
    config,
    {
      signal: controller.signal,
      checkpoints: {
        due: (done) => done === epoch,
        save: (state) => {
          saved.push(state);
          if (state.epochsDone === epoch) controller.abort();
          return Promise.resolve();
        },
      },
    },
    resumeFrom,
  );
  await expect(run).rejects.toMatchObject({ code: 'CANCELLED' });
  const state = saved.at(-1);
  expect(state?.epochsDone).toBe(epoch);
  return state!;
}

describe('train resumed from a saved state', () => {
  it.each([
    ['sgd with momentum, exponential', { optimizer: 'sgd', lrScheduler: { type: 'exponential', gamma: 0.8 } }],
    ['rmsprop, step', { optimizer: 'rmsprop', lrScheduler: { type: 'step', stepSize: 2, gamma: 0.5 } }],
    ['adamw, cosine', { optimizer: 'adamw', weightDecay: 0.01, lrScheduler: { type: 'cosine', tMax: 8, etaMin: 0 } }],
  ] as const)('ends bit-identical with %s (the learning rate where the interrupted run had it)', async (_name, extra) => {
    const data = noisyData();
    const fixed: TrainerConfig = { ...config, ...extra, epochs: 8, earlyStopping: undefined };
    const uninterrupted = await train(data, spec, fixed);
    expect(new Set(uninterrupted.history.map((r) => r.learning_rate)).size).toBeGreaterThan(1);
    const saved: TrainerState[] = [];
    await train(data, spec, fixed, { checkpoints: { due: () => true, save: (state) => Promise.resolve(void saved.push(state)) } });
    expectSameRun(await train(data, spec, fixed, {}, saved[3]), uninterrupted);
  });

  it('ends bit-identical to a run never interrupted, with dropout, class weights and early stopping', async () => {
    const data = noisyData();
    const uninterrupted = await train(data, spec, config);
    expect(uninterrupted.stoppedEarly).toBe(true);
    expect(uninterrupted.history.length).toBeGreaterThan(6);

    const resumed = await train(data, spec, config, {}, await stateAfter(data, 3));
    expectSameRun(resumed, uninterrupted);
  });

  it('ends bit-identical when resumed twice', async () => {
    const data = noisyData();
    const uninterrupted = await train(data, spec, config);
    const first = await stateAfter(data, 2);
    const second = await stateAfter(data, 5, first);
    expect(second.history.slice(0, 2)).toEqual(first.history);
    expectSameRun(await train(data, spec, config, {}, second), uninterrupted);
  });

  it('ends bit-identical without early stopping, over all epochs', async () => {
    const data = noisyData();
    const fixed: TrainerConfig = { ...config, epochs: 6, earlyStopping: undefined };
    const uninterrupted = await train(data, spec, fixed);
    const saved: TrainerState[] = [];
    await train(data, spec, fixed, { checkpoints: { due: () => true, save: (state) => Promise.resolve(void saved.push(state)) } });
    // No state after the last epoch: nothing would be left to resume.
    expect(saved.map((s) => s.epochsDone)).toEqual([1, 2, 3, 4, 5]);
    for (const state of [saved[0], saved[4]]) expectSameRun(await train(data, spec, fixed, {}, state), uninterrupted);
  });

  it('saves the last completed epoch when cancelled in the middle of an epoch', async () => {
    const data = noisyData();
    const controller = new AbortController();
    const saves: { epochsDone: number; reason: string }[] = [];
    const run = train(data, spec, config, {
      signal: controller.signal,
      onBatch: (epoch, batch) => {
        if (epoch === 3 && batch === 5) controller.abort();
      },
      checkpoints: {
        due: () => false,
        save: (state, reason) => Promise.resolve(void saves.push({ epochsDone: state.epochsDone, reason })),
      },
    });
    await expect(run).rejects.toMatchObject({ code: 'CANCELLED' });
    expect(saves).toEqual([{ epochsDone: 2, reason: 'cancel' }]);
  });

  it('refuses a state from another network or one past the last epoch with CHECKPOINT_MISMATCH', async () => {
    const data = noisyData();
    const state = await stateAfter(data, 2);
    const wider: MlpSpec = { ...spec, hidden: [17, 8] };
    for (const attempt of [train(data, wider, config, {}, state), train(data, spec, { ...config, epochs: 2 }, {}, state)]) {
      const error: unknown = await attempt.catch((reason: unknown) => reason);
      expect(error).toBeInstanceOf(KtrdrError);
      expect((error as KtrdrError).code).toBe('CHECKPOINT_MISMATCH');
    }
  });
});
