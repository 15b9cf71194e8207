import type { CheckpointPushTarget } from '../../checkpoints/checkpoint-push.js';
import type { OperationError } from '../../operations/operation.js';
import type { ModelArtifact } from '../../training/artifact.js';
import type { LogLevel } from '../../util/logger.js';
import type { TrainingJob } from '../executor.js';
import type { Report } from './report-buffer.js';

/**
 * The messages between the main thread and a training worker. Both ends are compiled from this one file and the
 * structured clone keeps typed arrays intact, so these types are the whole contract; nothing untrusted crosses.
 */

/** `workerData` of a training worker. */
export interface WorkerInput {
  readonly job: TrainingJob;
  readonly dataDir: string;
  readonly device: string;
  /** What the manifest records as the run's execution, besides the device. */
  readonly execution: RunExecution;
  readonly logLevel: LogLevel;
  /** Where the run's checkpoints are kept (a `CheckpointStore` root); none are saved or resumed from without it. */
  readonly checkpointDir?: string;
  /** A training host's runs also send each checkpoint to the backend. */
  readonly checkpointPush?: CheckpointPushTarget;
  /** Nice value for the worker thread (0 keeps the server's priority); see `thread-priority.ts`. */
  readonly nice: number;
  /** Cores granted to the run: the most threads its training backend may compute with. */
  readonly threads: number;
  /**
   * One Int32; non-zero means "cancel". The worker's event loop is busy training and cannot receive a message, so
   * the main thread flips this and the pipeline's `tick` hook reads it at every batch.
   */
  readonly cancelFlag: SharedArrayBuffer;
}

/** `mode: 'host'` (with the host's name) when a training host runs the job; everything else about the run is the same. */
export interface RunExecution {
  readonly mode: 'local' | 'host';
  readonly host?: string;
}

export type WorkerMessage =
  /** Progress, log lines and epoch metrics, batched (see `ReportBuffer`), in the order they happened. */
  | { readonly type: 'reports'; readonly reports: readonly Report[] }
  /** The artifact's weights buffer is transferred, not copied. */
  | { readonly type: 'completed'; readonly artifact: ModelArtifact }
  | { readonly type: 'cancelled' }
  | { readonly type: 'failed'; readonly error: OperationError };

export const CANCEL_FLAG_INDEX = 0;

export function newCancelFlag(): SharedArrayBuffer {
  return new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT);
}

export function raiseCancelFlag(flag: SharedArrayBuffer): void {
  Atomics.store(new Int32Array(flag), CANCEL_FLAG_INDEX, 1);
}

export function isCancelFlagRaised(flag: Int32Array): boolean {
  return Atomics.load(flag, CANCEL_FLAG_INDEX) !== 0;
}
