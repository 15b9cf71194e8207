import type { TrainingStatus } from '../../contracts/strategies.js';
import type { Operation } from '../../operations/operation.js';

export interface TrainingStatusInputs {
  /** A run of the strategy is pending, running or cancelling. */
  readonly inProgress: boolean;
  /** The newest training that completed or failed (cancelled runs say nothing about the strategy). */
  readonly lastFinished: Pick<Operation, 'status' | 'finished_at'> | null;
  /** `created_at` of the newest stored model version, if any. */
  readonly latestModelAt: string | null;
}

/**
 * `training` while a run is in flight; `failed` when the newest finished run failed after the newest model (a model
 * from before still exists, but the user's last attempt did not work); `trained` with any model; else `untrained`.
 * Derived from operations and the model store together, never from a directory listing alone.
 */
export function trainingStatus({ inProgress, lastFinished, latestModelAt }: TrainingStatusInputs): TrainingStatus {
  if (inProgress) return 'training';
  if (lastFinished?.status === 'failed' && (latestModelAt === null || (lastFinished.finished_at ?? '') > latestModelAt)) return 'failed';
  return latestModelAt === null ? 'untrained' : 'trained';
}
