import type { CheckpointStore } from '../checkpoints/checkpoint-store.js';
import { isKtrdrError } from '../errors.js';
import type { RunHandle, RunObserver, RunOutcome, TrainingJob } from '../execution/executor.js';
import { toOperationError, type ExecutionMode, type Operation, type OperationError } from '../operations/operation.js';
import type { OperationStore } from '../operations/operation-store.js';
import { recordStopped } from '../operations/record-stopped.js';
import type { ModelArtifact } from '../training/artifact.js';
import type { Logger } from '../util/logger.js';
import type { HostResults } from './host-results.js';
import type { ModelWriter } from './model-writer.js';
import { trainingResultSummary } from './result-summary.js';

/** A host run that never reached its host may go elsewhere; this is what choosing again needs. */
export interface Retarget {
  readonly job: TrainingJob;
  readonly mode: ExecutionMode;
  readonly requireGpu: boolean;
  /** Hosts already tried and found unreachable at dispatch. */
  readonly tried: readonly string[];
}

/** A run this process follows, from submission until its operation reached a terminal status. */
export interface TrackedRun {
  handle: RunHandle;
  /** Set by `cancel`; an artifact that arrives afterwards is discarded instead of saved. */
  cancelRequested: boolean;
  /** The run's store writes, in report order; the final transition is appended last. */
  writes: Promise<void>;
  /** Resolves once the operation reached its terminal status. */
  finished: Promise<void>;
  /** Base URL of the training host, for runs there. */
  readonly hostUrl?: string;
  /** For a fresh host run: enough to choose again if the host cannot be reached to start it. */
  readonly retarget?: Retarget;
}

export interface LaunchOptions {
  readonly hostUrl?: string;
  /** A re-attached run whose operation was already being cancelled. */
  readonly cancelRequested?: boolean;
  readonly retarget?: Retarget;
  /**
   * A resumed run starts its steps over: its progress is held at least here (what the operation showed before), so
   * the operation's progress never goes backwards.
   */
  readonly progressFloor?: number;
}

export interface RunRecorderDeps {
  readonly operations: OperationStore;
  readonly writer: ModelWriter;
  readonly hostResults: HostResults;
  /**
   * A host run failed HOST_UNAVAILABLE at dispatch: place it again. True when it was (the failure is then not
   * recorded), false when the failure stands.
   */
  readonly replace: (id: string, run: TrackedRun, error: OperationError) => Promise<boolean>;
  /** Checkpoints of completed runs are removed (failed and cancelled ones keep theirs, to be resumed). */
  readonly checkpoints?: CheckpointStore;
  /**
   * A run lost with its host (HOST_LOST) that has a checkpoint here (pushed by the host): resume it from there. Called
   * once the failure is recorded. Undefined: such runs stay failed, and the host is watched for a late result.
   */
  readonly resumeLost?: (id: string) => Promise<void>;
  readonly logger: Logger;
}

type Enqueue = (write: () => Promise<unknown>, what: string) => void;

const NOT_SUBMITTED: RunHandle = { outcome: new Promise<never>(() => {}), cancel: () => {} };

/**
 * Turns what runs report into operation store writes, in report order, and ends each operation from its run's
 * outcome: the model saved before `completed`, a cancel confirmed, a failure recorded (or handed back for placing
 * again). Every change goes through the store's guarded transitions, so a late or racing report can never overwrite
 * a terminal status.
 */
export class RunRecorder {
  private readonly runs = new Map<string, TrackedRun>();

  constructor(private readonly deps: RunRecorderDeps) {}

  get(id: string): TrackedRun | undefined {
    return this.runs.get(id);
  }

  /** Every run followed now, with its operation id. */
  entries(): [string, TrackedRun][] {
    return [...this.runs.entries()];
  }

  /** Submits a run through `submit` and records it until its operation ends. Throws what `submit` throws. */
  launch(operation: Operation, submit: (observer: RunObserver) => RunHandle, options: LaunchOptions = {}): void {
    const id = operation.id;
    // Registered before submitting: the executor may start the job (and call onStart) inside `submit`.
    const run: TrackedRun = {
      handle: NOT_SUBMITTED,
      cancelRequested: options.cancelRequested ?? false,
      writes: Promise.resolve(),
      finished: Promise.resolve(),
      hostUrl: options.hostUrl,
      retarget: options.retarget,
    };
    this.runs.set(id, run);
    const enqueue: Enqueue = (write, what) => {
      run.writes = run.writes.then(write).then(
        () => undefined,
        (error: unknown) => this.logWriteError(id, what, error),
      );
    };
    try {
      run.handle = submit(this.observerFor(operation, run, enqueue, options.progressFloor ?? 0));
    } catch (error) {
      this.runs.delete(id);
      void this.deps.operations.markFailed(id, toOperationError(error, 'INTERNAL')).catch((e: unknown) => this.logWriteError(id, 'finish', e));
      throw error;
    }
    run.finished = run.handle.outcome
      .then((outcome) => {
        if (this.runs.get(id) !== run) {
          // Resumed before this run had stopped (cancelled while it was pending here but already taken by a queue
          // host): the operation is the resumed run's now, and this end is not its end.
          this.deps.logger.info({ operation_id: id, status: outcome.status }, `training ${id}: its previous run ended (${outcome.status})`);
          return run.writes;
        }
        // Decided when the outcome arrives: a cancel requested after this point meets a model already being saved.
        const discard = outcome.status === 'completed' && run.cancelRequested;
        enqueue(() => this.finish(id, discard ? { status: 'cancelled', started: true } : outcome, run), 'finish');
        return run.writes;
      })
      .finally(() => {
        if (this.runs.get(id) === run) this.runs.delete(id);
      });
  }

  /** Asks a followed run to stop; false when this process does not follow it. */
  cancel(id: string, reason?: string): boolean {
    const run = this.runs.get(id);
    if (run === undefined) return false;
    run.cancelRequested = true;
    run.handle.cancel(reason);
    return true;
  }

  /** Resolves when the operation's run (if this process follows it) has reached its terminal status. */
  async whenFinished(id: string): Promise<void> {
    // A run that moved to another target is replaced in the map under the same id: follow it to the end.
    for (let run = this.runs.get(id); run !== undefined; run = this.runs.get(id)) await run.finished;
  }

  private observerFor(operation: Operation, run: TrackedRun, enqueue: Enqueue, progressFloor: number): RunObserver {
    const { operations } = this.deps;
    const id = operation.id;
    return {
      onStart: ({ device }) => {
        enqueue(async () => {
          try {
            await operations.markRunning(id, { execution: { ...operation.execution, device } });
          } catch (error) {
            if (!isKtrdrError(error) || (error.code !== 'OPERATION_FINISHED' && error.code !== 'INVALID_TRANSITION')) throw error;
            // A re-attached run that was already running before the restart: nothing to change.
            const current = await operations.get(id);
            if (current.status === 'running' || current.status === 'cancelling') return;
            // Cancelled while it waited for its slot: the run must not go on.
            run.cancelRequested = true;
            run.handle.cancel();
          }
        }, 'markRunning');
      },
      onRemote: (ref) => enqueue(() => operations.setRemote(id, ref), 'remote'),
      onProgress: (progress) =>
        enqueue(
          () => operations.recordProgress(id, progress.percent >= progressFloor ? progress : { ...progress, percent: progressFloor }),
          'progress',
        ),
      onLogs: (records) => enqueue(() => operations.appendLogs(id, records), 'logs'),
      onEpochs: (records) =>
        enqueue(
          () =>
            operations.appendMetrics(
              id,
              records.map((record) => ({ ...record })),
            ),
          'metric',
        ),
    };
  }

  private async finish(id: string, outcome: RunOutcome, run: TrackedRun): Promise<void> {
    switch (outcome.status) {
      case 'completed':
        return this.finishCompleted(id, outcome.artifact, run);
      case 'cancelled':
        await recordStopped(this.deps.operations, id);
        this.deps.logger.info({ operation_id: id }, `training ${id} cancelled`);
        if (run.hostUrl !== undefined) this.deps.hostResults.acknowledge(id, run.hostUrl);
        return;
      case 'failed':
        return this.finishFailed(id, outcome.error, run);
    }
  }

  private async finishCompleted(id: string, artifact: ModelArtifact, run: TrackedRun): Promise<void> {
    const { operations, writer, logger } = this.deps;
    let version: number;
    try {
      version = (await writer.save(await operations.get(id), artifact)).version;
    } catch (error) {
      logger.error({ operation_id: id, err: error }, `training ${id}: saving the model failed`);
      const cause = toOperationError(error, 'INTERNAL');
      const kept = cause.code === 'STORAGE_FULL' || cause.code === 'MODEL_SAVE_FAILED';
      await operations.markFailed(id, kept ? cause : { code: cause.code, message: `the model could not be saved: ${cause.message}` });
      return;
    }
    const operation = await operations.markCompleted(id, trainingResultSummary(artifact, version));
    logger.info({ operation_id: id, model_version: version }, `training ${id} ${operation.status}: ${artifact.strategy_name} v${version}`);
    await this.deps.checkpoints?.remove(id);
    // Only now, with the version on disk and recorded, may the host forget the result.
    if (run.hostUrl !== undefined) this.deps.hostResults.acknowledge(id, run.hostUrl);
  }

  private async finishFailed(id: string, error: OperationError, run: TrackedRun): Promise<void> {
    const { operations, hostResults, logger } = this.deps;
    if (error.code === 'HOST_UNAVAILABLE' && (await this.deps.replace(id, run, error))) return;
    const failed = await operations.markFailed(id, error);
    logger.warn({ operation_id: id, error }, `training ${id} ${failed.status}: [${error.code}] ${error.message}`);
    // A run lost while being cancelled ends `cancelled`: the user wanted it stopped, so nothing is recovered.
    if (error.code === 'HOST_LOST' && failed.status === 'failed') {
      const { resumeLost, checkpoints } = this.deps;
      if (resumeLost !== undefined && checkpoints !== undefined && (await checkpoints.has(id))) {
        // Resumed once this run is off the books (`finished` settles after this write), so the resumed run is
        // followed under the same id. Its host is not watched: the operation goes on here, not there.
        void run.finished.then(() => resumeLost(id));
      } else if (run.handle.remote !== undefined) hostResults.watchLostRun(id, run.handle.remote);
    }
    // HOST_UNAVAILABLE: the start never reached the host, so there is nothing there to forget.
    else if (run.hostUrl !== undefined && error.code !== 'HOST_UNAVAILABLE' && error.code !== 'HOST_LOST') hostResults.acknowledge(id, run.hostUrl);
  }

  private logWriteError(id: string, what: string, error: unknown): void {
    // Progress or logs reported after the operation ended are refused by the store; that is expected, not a fault.
    if (isKtrdrError(error) && error.code === 'OPERATION_FINISHED' && what !== 'finish') return;
    this.deps.logger.error({ operation_id: id, err: error }, `training ${id}: recording ${what} failed`);
  }
}
