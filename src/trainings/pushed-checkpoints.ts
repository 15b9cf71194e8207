import type { CheckpointStore } from '../checkpoints/checkpoint-store.js';
import type { HostCheckpoint } from '../contracts/trainings.js';
import { KtrdrError } from '../errors.js';
import type { OperationStore } from '../operations/operation-store.js';
import { decodeCheckpoint } from '../training/checkpoint-format.js';
import type { Logger } from '../util/logger.js';

/**
 * Checkpoints a training host pushes for its runs, kept in this backend's store so that a host that dies does not
 * take them with it: the run can be resumed from the newest one, here (`ktrdr ops resume`) or on a host, which
 * fetches it when the run starts there (a resume placed on a host, a queue job handed to another host).
 */
export class PushedCheckpoints {
  constructor(
    private readonly operations: OperationStore,
    private readonly checkpoints: CheckpointStore,
    private readonly logger: Logger,
  ) {}

  /**
   * The newest checkpoint of a host run that passes its checks (a damaged newest one is skipped for the previous),
   * as stored. NO_CHECKPOINT when there is none: the host then trains from epoch 1.
   */
  async newest(id: string): Promise<HostCheckpoint> {
    const operation = await this.operations.get(id);
    if (operation.type !== 'training' || operation.execution.selected !== 'host') {
      throw new KtrdrError('NOT_A_HOST_RUN', `operation ${id} does not run on a training host`, { details: { id } });
    }
    const found = await this.checkpoints.latest(id, ({ file, error }) => this.logger.warn({ operation_id: id, file }, error.message));
    if (found === null) throw new KtrdrError('NO_CHECKPOINT', `operation ${id} has no checkpoint`, { details: { id } });
    return { operation_id: id, epoch: found.epoch, checkpoint: Buffer.from(found.bytes).toString('base64') };
  }

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
