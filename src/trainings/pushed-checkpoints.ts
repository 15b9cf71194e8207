import type { CheckpointStore } from '../checkpoints/checkpoint-store.js';
import { KtrdrError } from '../errors.js';
import type { OperationStore } from '../operations/operation-store.js';
import { decodeCheckpoint } from '../training/checkpoint-format.js';

/**
 * Checkpoints a training host pushes for its runs, kept in this backend's store so that a host that dies does not
 * take them with it: the run can be resumed here (`ktrdr ops resume`) from the newest one.
 */
export class PushedCheckpoints {
  constructor(
    private readonly operations: OperationStore,
    private readonly checkpoints: CheckpointStore,
  ) {}

  /** Checks the file (CHECKPOINT_CORRUPT) and that it is this operation's state after `epoch` (CHECKPOINT_MISMATCH). */
  async receive(id: string, epoch: number, bytes: Uint8Array): Promise<{ operation_id: string; epoch: number; bytes: number }> {
    const operation = await this.operations.get(id);
    if (operation.type !== 'training' || operation.execution.selected !== 'host') {
      throw new KtrdrError('NOT_A_HOST_RUN', `operation ${id} does not run on a training host`, { details: { id } });
    }
    if (operation.status === 'completed') throw new KtrdrError('OPERATION_FINISHED', `operation ${id} is already completed`, { details: { id } });
    const checkpoint = decodeCheckpoint(bytes, `the checkpoint pushed for ${id} at epoch ${epoch}`);
    if (checkpoint.origin.operationId !== id || checkpoint.state.epochsDone !== epoch) {
      throw new KtrdrError(
        'CHECKPOINT_MISMATCH',
        `the pushed checkpoint is operation ${String(checkpoint.origin.operationId)}'s state after epoch ${checkpoint.state.epochsDone}, not ${id}'s after epoch ${epoch}`,
        { details: { id, epoch, checkpoint_operation_id: checkpoint.origin.operationId, checkpoint_epoch: checkpoint.state.epochsDone } },
      );
    }
    await this.checkpoints.write(id, epoch, bytes);
    return { operation_id: id, epoch, bytes: bytes.byteLength };
  }
}
