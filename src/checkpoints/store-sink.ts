import type { CheckpointSink } from '../training/pipeline.js';
import type { Logger } from '../util/logger.js';
import type { CheckpointStore } from './checkpoint-store.js';

/** A run's checkpoints in a local `CheckpointStore`: what a local run uses, and what a training host keeps as its copy. */
export function storeCheckpointSink(store: CheckpointStore, operationId: string, logger: Logger): CheckpointSink {
  return {
    latest: async () => {
      const found = await store.latest(operationId, ({ file, error }) => logger.warn(`${error.message}; trying the previous checkpoint (${file})`));
      return found?.checkpoint ?? null;
    },
    save: async (checkpoint, bytes) => {
      await store.write(operationId, checkpoint.state.epochsDone, bytes);
      logger.debug(`Checkpoint saved at epoch ${checkpoint.state.epochsDone}/${checkpoint.totalEpochs} (${bytes.byteLength} bytes)`);
    },
  };
}
