import { mkdtemp, readdir, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CheckpointStore } from '../../src/checkpoints/checkpoint-store.js';
import { KtrdrError } from '../../src/errors.js';
import { train, type TrainerState } from '../../src/nn/trainer.js';
import type { MlpSpec } from '../../src/nn/spec.js';
import { assertCheckpointMatches, decodeCheckpoint, encodeCheckpoint, type Checkpoint } from '../../src/training/checkpoint-format.js';
import { gaussianBlobs, sliceSet } from '../nn/helpers.js';

const spec: MlpSpec = { inputs: 4, hidden: [8], outputs: 3, activation: 'relu', dropout: 0.2 };
const origin = { operationId: 'op_1', strategySha256: 'a'.repeat(64), dataSha256: ['b'.repeat(64), 'c'.repeat(64)], packageVersion: '0.1.0' };

/** Real trainer states after each of the first `epochs` epochs. */
async function trainerStates(epochs: number): Promise<TrainerState[]> {
  const set = gaussianBlobs(120, spec.inputs, 2);
  const states: TrainerState[] = [];
  await train(
    { train: sliceSet(set, 0, 90), validation: sliceSet(set, 90, 120) },
    spec,
    { epochs: epochs + 1, batchSize: 16, learningRate: 1e-2, seed: 3, earlyStopping: { patience: 50 } },
    { checkpoints: { due: () => true, save: (state) => Promise.resolve(void states.push(state)) } },
  );
  return states;
}

function checkpointOf(state: TrainerState): Checkpoint {
  return { origin, strategyYaml: 'name: x\n', totalEpochs: 100, createdAt: '2026-01-01T00:00:00.000Z', state };
}

function codeOf(run: () => unknown): string | undefined {
  try {
    run();
  } catch (error) {
    return error instanceof KtrdrError ? error.code : 'not a KtrdrError';
  }
  return undefined;
}

describe('checkpoint format', () => {
  it('round-trips a trainer state exactly, best losses of +Infinity included', async () => {
    const [state] = await trainerStates(1);
    const fresh = { ...state, bestLoss: Number.POSITIVE_INFINITY, earlyStopping: { best: Number.POSITIVE_INFINITY, epochsWithoutImprovement: 0 } };
    for (const original of [state, fresh]) {
      const decoded = decodeCheckpoint(encodeCheckpoint(checkpointOf(original)));
      expect(decoded.origin).toEqual(origin);
      expect(decoded.totalEpochs).toBe(100);
      expect(decoded.strategyYaml).toBe('name: x\n');
      expect(decoded.state).toEqual(original);
      expect(Buffer.from(decoded.state.backend.optimizer.v.buffer).equals(Buffer.from(original.backend.optimizer.v.buffer))).toBe(true);
    }
  });

  it('refuses a truncated, altered or foreign file with CHECKPOINT_CORRUPT', async () => {
    const [state] = await trainerStates(1);
    const bytes = encodeCheckpoint(checkpointOf(state));
    const altered = bytes.slice();
    altered[40] ^= 1;
    for (const bad of [bytes.subarray(0, bytes.length - 10), bytes.subarray(0, 20), altered, Buffer.from('not a checkpoint at all, just text')]) {
      expect(codeOf(() => decodeCheckpoint(bad))).toBe('CHECKPOINT_CORRUPT');
    }
  });

  it('refuses a checkpoint of another strategy text or other data with CHECKPOINT_MISMATCH', async () => {
    const [state] = await trainerStates(1);
    const checkpoint = checkpointOf(state);
    expect(codeOf(() => assertCheckpointMatches(checkpoint, origin))).toBeUndefined();
    expect(codeOf(() => assertCheckpointMatches(checkpoint, { ...origin, strategySha256: 'd'.repeat(64) }))).toBe('CHECKPOINT_MISMATCH');
    expect(codeOf(() => assertCheckpointMatches(checkpoint, { ...origin, dataSha256: ['b'.repeat(64)] }))).toBe('CHECKPOINT_MISMATCH');
  });
});

describe(CheckpointStore.name, () => {
  let root: string;
  let sut: CheckpointStore;

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'ktrdr-ckpt-'));
    sut = new CheckpointStore(root);
  });
  afterEach(() => rm(root, { recursive: true, force: true }));

  it('keeps only the newest two checkpoints and leaves no temporary files', async () => {
    const states = await trainerStates(3);
    for (const state of states) await sut.write('op_1', state.epochsDone, encodeCheckpoint(checkpointOf(state)));
    expect(await sut.epochs('op_1')).toEqual([3, 2]);
    expect((await readdir(join(root, 'op_1'))).sort()).toEqual(['epoch-000002.ckpt', 'epoch-000003.ckpt']);
    expect((await sut.latest('op_1'))?.checkpoint.state.epochsDone).toBe(3);
  });

  it('falls back to the previous checkpoint when the newest is truncated, and reports the skipped one', async () => {
    const states = await trainerStates(2);
    for (const state of states) await sut.write('op_1', state.epochsDone, encodeCheckpoint(checkpointOf(state)));
    await truncate(join(root, 'op_1', 'epoch-000002.ckpt'), 100);
    const skipped: string[] = [];
    const found = await sut.latest('op_1', ({ file, error }) => skipped.push(`${file}:${error.code}`));
    expect(found?.epoch).toBe(1);
    expect(found?.checkpoint.state).toEqual(states[0]);
    expect(skipped).toEqual([`${join(root, 'op_1', 'epoch-000002.ckpt')}:CHECKPOINT_CORRUPT`]);
  });

  it('answers null without checkpoints, ignores stray files and removes an operation whole', async () => {
    expect(await sut.latest('op_none')).toBeNull();
    expect(await sut.has('op_none')).toBe(false);
    const [state] = await trainerStates(1);
    await sut.write('op_1', 1, encodeCheckpoint(checkpointOf(state)));
    await writeFile(join(root, 'op_1', '.tmp-left-by-a-crash'), 'half');
    expect(await sut.epochs('op_1')).toEqual([1]);
    await sut.remove('op_1');
    expect(await sut.has('op_1')).toBe(false);
  });

  it('refuses an operation id that is not a safe path segment', async () => {
    await expect(sut.write('../escape', 1, new Uint8Array(1))).rejects.toMatchObject({ code: 'INVALID_NAME' });
  });
});
