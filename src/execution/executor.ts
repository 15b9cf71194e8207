import type { EpochRecord } from '../nn/index.js';
import type { ExecutionTarget, OperationError } from '../operations/operation.js';
import type { ModelArtifact } from '../training/artifact.js';
import type { StrategyOverrides } from '../training/overrides.js';
import type { TrainingProgress } from '../training/progress.js';
import type { LogRecord } from '../util/logger.js';

/** One training run as an executor receives it: the strategy travels as text, never as a path. */
export interface TrainingJob {
  readonly operationId: string;
  readonly strategyYaml: string;
  /** Where the text came from, for error messages. */
  readonly strategySource: string;
  readonly overrides?: Omit<StrategyOverrides, 'seed'>;
  /** Overrides the strategy's `training.seed`. */
  readonly seed?: number;
}

/**
 * What a run reports while it runs, in the order the pipeline reported it. Logs and epochs may arrive in batches
 * (an executor is free to hold reports briefly to keep their cost down).
 */
export interface RunObserver {
  /** The job left the queue and is now running on `device`. Not called for a job cancelled while queued. */
  onStart?(info: { readonly device: string }): void;
  onProgress?(progress: TrainingProgress): void;
  onLogs?(records: readonly LogRecord[]): void;
  onEpochs?(records: readonly EpochRecord[]): void;
}

export type RunOutcome =
  | { readonly status: 'completed'; readonly artifact: ModelArtifact }
  /** `started` is false when the job was cancelled before it left the queue. */
  | { readonly status: 'cancelled'; readonly started: boolean }
  | { readonly status: 'failed'; readonly error: OperationError };

export interface RunHandle {
  /** Settles once the run has ended; never rejects. */
  readonly outcome: Promise<RunOutcome>;
  /**
   * Asks the run to stop. A queued job is dropped at once; a running one stops at its next batch. Idempotent, and a
   * no-op once the outcome is known. A run that finishes before it sees the request still reports `completed`.
   */
  cancel(reason?: string): void;
}

export interface ExecutorCapacity {
  /** Runs that may execute at the same time. */
  readonly slots: number;
  readonly running: number;
  /** Jobs waiting for a slot, in FIFO order. */
  readonly queued: number;
}

/**
 * Port: somewhere training runs. The local adapter runs the pipeline in worker threads of this process; a remote
 * adapter runs it on a training host. Both run the same pipeline and pass the same conformance suite
 * (`test/execution/executor.conformance.ts`), which is what keeps "same results everywhere" true.
 *
 * An executor never touches the operation or model stores: it reports through the observer and hands the artifact
 * back in the outcome, and the caller (the training service) is the single writer of both.
 */
export interface Executor {
  readonly target: ExecutionTarget;
  /** Compute device runs use, e.g. `cpu`. */
  readonly device: string;
  /** Whether runs here use a GPU; what `require_gpu` checks. */
  readonly gpu: boolean;
  /** Queues the job (FIFO) and starts it when a slot is free. Throws once the executor is closed. */
  submit(job: TrainingJob, observer?: RunObserver): RunHandle;
  capacity(): ExecutorCapacity;
  /** Cancels every queued and running job and resolves when all of them have ended. */
  close(): Promise<void>;
}
