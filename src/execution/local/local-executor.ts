import { KtrdrError } from '../../errors.js';
import type { LogLevel } from '../../util/logger.js';
import { detectDevice } from '../device.js';
import { notify, type Executor, type ExecutorCapacity, type RunHandle, type RunObserver, type RunOutcome, type TrainingJob } from '../executor.js';
import { localConcurrency } from './concurrency.js';
import { resolveWorkerFile } from './worker-file.js';
import type { RunExecution } from './worker-protocol.js';
import { WorkerRun } from './worker-run.js';

export interface LocalExecutorOptions {
  /** Directory of the OHLCV CSV files the workers read. */
  readonly dataDir: string;
  /** Runs at the same time. @defaultValue `KTRDR_LOCAL_CONCURRENCY`, else cores - 1, at least 1 */
  readonly concurrency?: number;
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
}

const DEFAULT_NICE = 19;

interface Entry {
  readonly job: TrainingJob;
  readonly placement: RunPlacement;
  readonly observer: RunObserver;
  readonly resolve: (outcome: RunOutcome) => void;
  run?: WorkerRun;
  cancelled: boolean;
}

/**
 * Runs trainings in worker threads of this process, so the server's event loop stays free while they compute.
 * At most `concurrency` run at once; the rest wait in FIFO order.
 */
export class LocalExecutor implements Executor {
  readonly target = 'local' as const;
  readonly device: string;
  readonly gpu: boolean;
  private readonly slots: number;
  private readonly workerFile: URL;
  private readonly queue: Entry[] = [];
  private readonly running = new Set<Entry>();
  private readonly pending = new Set<Promise<RunOutcome>>();
  private closed = false;

  constructor(private readonly options: LocalExecutorOptions) {
    const device = detectDevice();
    this.device = device.name;
    this.gpu = device.kind === 'gpu';
    this.slots = options.concurrency ?? localConcurrency();
    if (!Number.isInteger(this.slots) || this.slots < 1) throw new RangeError(`concurrency must be a positive integer, got ${this.slots}`);
    // Resolved up front so a missing build fails at start-up, not on the first training request.
    this.workerFile = options.workerFile ?? resolveWorkerFile();
  }

  submit(job: TrainingJob, observer: RunObserver = {}, placement: RunPlacement = {}): RunHandle {
    if (this.closed) throw new KtrdrError('INTERNAL', 'the local executor is closed', { details: { operation_id: job.operationId } });
    let entry!: Entry;
    const outcome = new Promise<RunOutcome>((resolve) => {
      entry = { job, placement, observer, resolve, cancelled: false };
    });
    this.pending.add(outcome);
    void outcome.then(() => this.pending.delete(outcome));
    this.queue.push(entry);
    this.startQueued();
    return { outcome, cancel: () => this.cancel(entry) };
  }

  capacity(): ExecutorCapacity {
    return { slots: this.slots, running: this.running.size, queued: this.queue.length };
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const entry of [...this.queue, ...this.running]) this.cancel(entry);
    const threads = [...this.running].map((entry) => entry.run?.exited);
    await Promise.all([...this.pending, ...threads]);
  }

  private cancel(entry: Entry): void {
    if (entry.cancelled) return;
    entry.cancelled = true;
    const queuedAt = this.queue.indexOf(entry);
    if (queuedAt >= 0) {
      this.queue.splice(queuedAt, 1);
      entry.resolve({ status: 'cancelled', started: false });
      return;
    }
    entry.run?.cancel();
  }

  private startQueued(): void {
    while (this.running.size < this.slots && this.queue.length > 0) {
      const entry = this.queue.shift()!;
      this.running.add(entry);
      notify(() => entry.observer.onStart?.({ device: this.device }));
      // onStart may have cancelled the job (its operation was cancelled meanwhile): then never spawn a worker.
      if (entry.cancelled) {
        this.running.delete(entry);
        entry.resolve({ status: 'cancelled', started: false });
        continue;
      }
      this.spawn(entry);
    }
  }

  private spawn(entry: Entry): void {
    let run: WorkerRun;
    try {
      run = new WorkerRun({
        workerFile: this.workerFile,
        input: {
          job: entry.job,
          dataDir: entry.placement.dataDir ?? this.options.dataDir,
          device: this.device,
          execution: this.options.execution ?? { mode: 'local' },
          logLevel: this.options.logLevel ?? 'info',
          nice: this.options.nice ?? DEFAULT_NICE,
        },
        observer: entry.observer,
        cancelGraceMs: this.options.cancelGraceMs ?? 2000,
      });
    } catch (error) {
      this.running.delete(entry);
      entry.resolve({ status: 'failed', error: { code: 'TRAINING_FAILED', message: `could not start a training worker: ${String(error)}` } });
      queueMicrotask(() => this.startQueued());
      return;
    }
    entry.run = run;
    void run.outcome.then(entry.resolve);
    // The slot is free only once the thread is gone, so `concurrency` bounds live threads, not just live runs.
    void run.exited.then(() => {
      this.running.delete(entry);
      if (!this.closed) this.startQueued();
    });
  }
}
