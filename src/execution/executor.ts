import type { EpochRecord } from '../nn/index.js';
import type { ExecutionTarget, OperationError } from '../operations/operation.js';
import type { ModelArtifact } from '../training/artifact.js';
import type { SeriesDigest } from '../data/series-digests.js';
import type { TrainingProgress } from '../training/progress.js';
import type { LogRecord } from '../util/logger.js';

/**
 * One training run as an executor receives it, resolved once at the edge: the strategy travels as text (never as a
 * path) with the request's overrides and seed already applied, so no layer below re-applies or re-parses a request.
 */
export interface TrainingJob {
  readonly operationId: string;
  /** The effective strategy text: exactly what the model's manifest will record and hash. */
  readonly strategyYaml: string;
  /** Where the text came from, for error messages. */
  readonly strategySource: string;
  /** Every market data series the run reads, named by the sha256 of the file when the job was resolved. */
  readonly data: readonly SeriesDigest[];
  /**
   * How many times the operation was resumed before this run: 0 (or absent) for its first run. An executor that
   * keeps runs outside this process under an id of their own (the queue) gives each attempt a different one.
   */
  readonly attempt?: number;
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
  /**
   * Where the run lives outside this process, for re-attaching after a restart. Remote executors call it before
   * dispatching (cursor 0) and again after each batch of relayed reports, so a journal written in report order never
   * points past what was recorded.
   */
  onRemote?(ref: RemoteRunRef): void;
}

/**
 * Calls one observer method. An observer that throws must not stop the run's messages from being handled (every
 * executor's rule), so the error becomes a process warning.
 */
export function notify(call: () => void): void {
  try {
    call();
  } catch (error) {
    const text = error instanceof Error ? (error.stack ?? error.message) : String(error);
    process.emitWarning(`run observer threw: ${text}`, 'RunObserverWarning');
  }
}

/** A run on a training host: enough to find it again and resume its event stream. */
export interface RemoteRunRef {
  readonly host_url: string;
  readonly run_id: string;
  /** The host's event cursor up to which reports were delivered. */
  readonly cursor: number;
}

/**
 * What a run on a training host offers beyond `RunHandle`. The artifact of such a run is kept by the host until the
 * caller has stored it, so it may arrive out of band (pushed) or long after contact was lost.
 */
export interface RemoteRunControl {
  /** An artifact pushed by the host for this run. True when the run took it (it had not ended otherwise yet). */
  deliverResult(artifact: ModelArtifact): boolean;
  /**
   * Stops following the run without cancelling it on the host (this process is shutting down; the next one
   * re-attaches). False when the run was not dispatched yet, in which case the caller should cancel it instead.
   */
  detach(): boolean;
  /**
   * For a run that failed with HOST_LOST: settles with its artifact if the host turns up later with the run finished
   * (or pushes it), null once that can no longer happen (the host forgot the run, the watch window passed, the
   * executor closed). Null as soon as a run that did not fail that way has ended.
   */
  readonly recovered: Promise<ModelArtifact | null>;
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
  /** Present on runs that execute on a training host. */
  readonly remote?: RemoteRunControl;
}

/** Re-attaching to a run a training host already has (after a backend restart). */
export interface AttachRequest {
  readonly operationId: string;
  /** The run's id where it lives (the remote reference's `run_id`); the operation id when absent. */
  readonly runId?: string;
  /** Host event cursor already relayed (from the operation's remote reference). */
  readonly cursor: number;
  /** The operation is already running (its `started` event was relayed before the restart). */
  readonly started: boolean;
  /** The operation is being cancelled: the cancel is sent again. */
  readonly cancelRequested: boolean;
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

/** Port: an executor whose runs outlive this process (a training host), so a restarted backend can follow them again. */
export interface RemoteExecutor extends Executor {
  /** Follows a run the host already has, from the cursor on; the job itself stays where it runs. */
  attach(request: AttachRequest, observer?: RunObserver): RunHandle;
}
