import { KtrdrError } from '../errors.js';

/** The checks every backend's `runEpoch` makes before touching its buffers, so all backends refuse the same inputs. */
export function checkEpochArguments(order: Int32Array, batchSize: number, dataRows: number): void {
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new KtrdrError('VALIDATION_FAILED', `batch size must be an integer ≥ 1, got ${batchSize}`);
  }
  for (let i = 0; i < order.length; i++) {
    if (!(order[i] >= 0 && order[i] < dataRows)) {
      throw new KtrdrError('TRAINING_FAILED', `Epoch order has row ${order[i]} outside [0, ${dataRows})`);
    }
  }
}

/** The error every backend throws when a batch's loss is NaN or infinite (the trainer adds the epoch). */
export function divergedBatchError(loss: number, batch: number, totalBatches: number): KtrdrError {
  return new KtrdrError('TRAINING_DIVERGED', `Training loss became ${loss} at batch ${batch}`, {
    details: { batch, totalBatches, loss: String(loss) },
  });
}
