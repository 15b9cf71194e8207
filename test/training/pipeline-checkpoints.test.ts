import { mkdtemp, rm, truncate } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CheckpointStore } from '../../src/checkpoints/checkpoint-store.js';
import { storeCheckpointSink } from '../../src/checkpoints/store-sink.js';
import { applyOverrides } from '../../src/training/overrides.js';
import { runTraining, type TrainingResult } from '../../src/training/pipeline.js';
import { SPX_RSI_STRATEGY, recordingContext, type RecordedRun } from '../helpers/training-fixtures.js';

const OPERATION = 'op_ckpt';
/** Twelve epochs, a checkpoint every three. */
const strategyYaml = `${applyOverrides(SPX_RSI_STRATEGY, { epochs: 12 })}\n`.replace(
  '  batch_size: 32\n',
  '  batch_size: 32\n  checkpoint: {every_epochs: 3, every_seconds: 3600}\n',
);

function historyWithoutWallTime(result: TrainingResult): unknown[] {
  return result.artifact.metrics.history.map(({ duration_ms: _wallTime, ...rest }) => rest);
}

describe('runTraining with checkpoints', () => {
  let root: string;
  let store: CheckpointStore;

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'ktrdr-pipeline-ckpt-'));
    store = new CheckpointStore(root);
  });
  afterEach(() => rm(root, { recursive: true, force: true }));

  function checkpointedRun(): RecordedRun {
    const run = recordingContext({ operationId: OPERATION });
    return { ...run, ctx: { ...run.ctx, checkpoint: storeCheckpointSink(store, OPERATION, run.ctx.logger) } };
  }

  /** Runs until `epoch` has been reported, then cancels, as `ktrdr ops cancel` would. */
  async function cancelAfterEpoch(epoch: number): Promise<RecordedRun> {
    const run = checkpointedRun();
    const onEpoch = run.ctx.onEpoch!;
    const ctx = {
      ...run.ctx,
      onEpoch: (record: Parameters<typeof onEpoch>[0]) => (onEpoch(record), record.epoch === epoch && run.controller.abort()),
    };
    await expect(runTraining({ strategyYaml }, ctx)).rejects.toMatchObject({ code: 'CANCELLED' });
    return run;
  }

  it('saves every_epochs apart, resumes after a cancel and ends bit-identical to an uninterrupted run', async () => {
    const uninterrupted = await runTraining({ strategyYaml }, recordingContext().ctx);

    await cancelAfterEpoch(5); // cancelled in epoch 6: the state as of epoch 5 is saved on the way out
    expect(await store.epochs(OPERATION)).toEqual([5, 3]);

    const resumed = checkpointedRun();
    const result = await runTraining({ strategyYaml }, resumed.ctx);
    expect(resumed.logs.map((l) => l.msg)).toContain('Resuming from checkpoint at epoch 5/12');
    // The checkpoint's epochs are reported again (the store keeps one record per epoch), then the new ones.
    expect(resumed.epochs.map((e) => e.epoch)).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
    expect(result.artifact.manifest.weights_sha256).toBe(uninterrupted.artifact.manifest.weights_sha256);
    expect(historyWithoutWallTime(result)).toEqual(historyWithoutWallTime(uninterrupted));
  });

  it('uses the previous checkpoint when the newest is truncated', async () => {
    const uninterrupted = await runTraining({ strategyYaml }, recordingContext().ctx);
    await cancelAfterEpoch(7);
    expect(await store.epochs(OPERATION)).toEqual([7, 6]);
    await truncate(join(root, OPERATION, 'epoch-000007.ckpt'), 64);

    const resumed = checkpointedRun();
    const result = await runTraining({ strategyYaml }, resumed.ctx);
    const messages = resumed.logs.map((l) => l.msg);
    expect(messages.some((m) => m.includes('CHECKPOINT_CORRUPT') || m.includes('is not a usable checkpoint'))).toBe(true);
    expect(messages).toContain('Resuming from checkpoint at epoch 6/12');
    expect(result.artifact.manifest.weights_sha256).toBe(uninterrupted.artifact.manifest.weights_sha256);
  });

  it('refuses a checkpoint computed from a different strategy text with CHECKPOINT_MISMATCH', async () => {
    await cancelAfterEpoch(4);
    const changed = strategyYaml.replace('learning_rate: 0.005', 'learning_rate: 0.004');
    await expect(runTraining({ strategyYaml: changed }, checkpointedRun().ctx)).rejects.toMatchObject({ code: 'CHECKPOINT_MISMATCH' });
    // Refused, not consumed: the checkpoints are still there for the right strategy.
    expect(await store.epochs(OPERATION)).toEqual([4, 3]);
  });

  it('refuses a checkpoint computed from a different data file with CHECKPOINT_MISMATCH', async () => {
    await cancelAfterEpoch(4);
    const run = checkpointedRun();
    const data = run.ctx.data;
    // The same bars, but the file's bytes hash differently (as an edited or re-downloaded file would).
    const changed: typeof data = {
      loadWithDigest: async (...args: Parameters<typeof data.loadWithDigest>) => ({
        ...(await data.loadWithDigest(...args)),
        sha256: 'e'.repeat(64),
      }),
    };
    await expect(runTraining({ strategyYaml }, { ...run.ctx, data: changed })).rejects.toMatchObject({ code: 'CHECKPOINT_MISMATCH' });
    expect(await store.epochs(OPERATION)).toEqual([4, 3]);
  });
});
