import type { CheckpointPushTarget } from '../../checkpoints/checkpoint-push.js';
import { KtrdrError } from '../../errors.js';
import type { LogLevel } from '../../util/logger.js';
import { detectDevice } from '../device.js';
import { notify, type Executor, type ExecutorCapacity, type RunHandle, type RunObserver, type TrainingJob } from '../executor.js';
import { SlotQueue, type Slot } from '../slot-queue.js';
import { localConcurrency, localThreadsPerRun, runsAtOnce } from './concurrency.js';
import { resolveWorkerFile } from './worker-file.js';
import type { RunExecution } from './worker-protocol.js';
import { WorkerRun } from './worker-run.js';

export interface LocalExecutorOptions {
  /** Directory of the OHLCV CSV files the workers read. */
  readonly dataDir: string;
  /**
   * Root of the checkpoint store (`KTRDR_HOME/checkpoints`): runs resume from the newest checkpoint of their operation
   * there and save new ones. Undefined: no checkpoints.
   */
  readonly checkpointDir?: string;
  /**
   * Cores all runs together may use; with one thread per run, the runs at the same time.
   * @defaultValue `KTRDR_LOCAL_CONCURRENCY`, else cores - 1, at least 1
   */
  readonly concurrency?: number;
  /**
   * Cores (threads) granted to each run, at most `concurrency`; runs at once are `concurrency / threadsPerRun`.
   * A strategy's `training.threads` may ask for fewer, never more. @defaultValue `KTRDR_THREADS_PER_RUN`, else 1
   */
  readonly threadsPerRun?: number;
  /** The compiled worker entry. @defaultValue `resolveWorkerFile()` */
  readonly workerFile?: URL;
  /**
   * Lowest level of pipeline log lines reported. Info keeps the numbered steps and summaries; per-epoch numbers
   * are reported as epoch metrics anyway. @defaultValue info
   */
  readonly logLevel?: LogLevel;
  /** How long a cancelled worker may take to stop before it is terminated, in ms. @defaultValue 2000 */
  readonly cancelGraceMs?: number;
  /**
   * Nice value of the training threads (Linux; 0 = same priority as the server). With fewer free cores than runs,
   * a lower priority keeps the API answering promptly while training takes what is left. @defaultValue 19
   */
  readonly nice?: number;
  /**
   * Recorded in each manifest's execution record. A training host runs its jobs through this same executor and
   * sets `{ mode: 'host', host: <name> }`. @defaultValue `{ mode: 'local' }`
   */
  readonly execution?: RunExecution;
}

/** Per-job settings beyond the job itself. */
export interface RunPlacement {
  /** Read this job's market data from here instead of `LocalExecutorOptions.dataDir` (a host's per-run copy). */
  readonly dataDir?: string;
  /** Send this job's checkpoints to the backend too (a training host's runs). */
  readonly checkpointPush?: CheckpointPushTarget;
}

const DEFAULT_NICE = 19;

interface LocalJob {
  readonly job: TrainingJob;
  readonly placement: RunPlacement;
}

/**
 * Runs trainings in worker threads of this process, so the server's event loop stays free while they compute.
 * At most `concurrency` run at once; the rest wait in FIFO order.
 */
export class LocalExecutor implements Executor {
  readonly target = 'local' as const;
  readonly device: string;
  readonly gpu: boolean;
  /** Threads each run may compute with (see `threadsPerRun`). */
  readonly threadsPerRun: number;
  private readonly workerFile: URL;
  private readonly queue: SlotQueue<LocalJob>;
  /** Every submitted run's outcome and every live thread; `close` waits for all of them. */
  private readonly unfinished = new Set<Promise<unknown>>();
  private closed = false;

  constructor(private readonly options: LocalExecutorOptions) {
    const device = detectDevice();
    this.device = device.name;
    this.gpu = device.kind === 'gpu';
    const slots = options.concurrency ?? localConcurrency();
    if (!Number.isInteger(slots) || slots < 1) throw new RangeError(`concurrency must be a positive integer, got ${slots}`);
    this.threadsPerRun = options.threadsPerRun ?? localThreadsPerRun(slots);
    if (!Number.isInteger(this.threadsPerRun) || this.threadsPerRun < 1 || this.threadsPerRun > slots) {
      throw new RangeError(`threadsPerRun must be an integer from 1 to the concurrency (${slots}), got ${this.threadsPerRun}`);
    }
    const runs = runsAtOnce(slots, this.threadsPerRun);
    // Resolved up front so a missing build fails at start-up, not on the first training request.
    this.workerFile = options.workerFile ?? resolveWorkerFile();
    this.queue = new SlotQueue({ slots: () => runs, launch: (slot) => this.launch(slot) });
  }

  submit(job: TrainingJob, observer: RunObserver = {}, placement: RunPlacement = {}): RunHandle {
    if (this.closed) throw new KtrdrError('SHUTTING_DOWN', 'the local executor is closed', { details: { operation_id: job.operationId } });
    const slot = this.queue.enqueue({ job, placement }, observer);
    this.track(slot.outcome);
    return { outcome: slot.outcome, cancel: () => this.queue.cancel(slot) };
  }

  capacity(): ExecutorCapacity {
    return this.queue.capacity();
  }

  async close(): Promise<void> {
    this.closed = true;
    this.queue.close();
    await Promise.all([...this.unfinished]);
  }

  private launch(slot: Slot<LocalJob>): void {
    notify(() => slot.observer.onStart?.({ device: this.device }));
    // onStart may have cancelled the job (its operation was cancelled meanwhile): then never spawn a worker.
    if (slot.cancelled) {
      slot.settle({ status: 'cancelled', started: false });
      this.queue.release(slot);
      return;
    }
    let run: WorkerRun;
    try {
      run = new WorkerRun({
        workerFile: this.workerFile,
        input: {
          job: slot.job.job,
          dataDir: slot.job.placement.dataDir ?? this.options.dataDir,
          device: this.device,
          execution: this.options.execution ?? { mode: 'local' },
          logLevel: this.options.logLevel ?? 'info',
          nice: this.options.nice ?? DEFAULT_NICE,
          threads: this.threadsPerRun,
          ...(this.options.checkpointDir !== undefined && { checkpointDir: this.options.checkpointDir }),
          ...(slot.job.placement.checkpointPush !== undefined && { checkpointPush: slot.job.placement.checkpointPush }),
        },
        observer: slot.observer,
        cancelGraceMs: this.options.cancelGraceMs ?? 2000,
      });
    } catch (error) {
      slot.settle({ status: 'failed', error: { code: 'TRAINING_FAILED', message: `could not start a training worker: ${String(error)}` } });
      queueMicrotask(() => this.queue.release(slot));
      return;
    }
    slot.stop = () => run.cancel();
    void run.outcome.then((outcome) => slot.settle(outcome));
    // The slot is free only once the thread (and with it its gradient threads) is gone, so `concurrency` bounds live
    // threads, not just live runs.
    this.track(run.exited.then(() => this.queue.release(slot)));
  }

  private track(promise: Promise<unknown>): void {
    this.unfinished.add(promise);
    void promise.then(() => this.unfinished.delete(promise));
  }
}
