import type { CheckpointPushTarget } from '../checkpoints/checkpoint-push.js';
import { CheckpointStore } from '../checkpoints/checkpoint-store.js';
import { detectDevice, type DeviceInfo } from '../execution/device.js';
import type { RunHandle, RunObserver, TrainingJob } from '../execution/executor.js';
import { LocalExecutor } from '../execution/local/local-executor.js';

/**
 * Port: what the host needs from the thing that trains. Each run gets its own data directory, holding exactly the
 * series the backend asked for (checked by hash).
 */
export interface HostTrainer {
  /** The device runs use, as `GET /health` reports it. */
  readonly device: DeviceInfo;
  /** Runs that may execute at once. */
  readonly slots: number;
  /**
   * The host's own copy of its runs' checkpoints, which a run resumes from when it holds one of its operation; the
   * host puts the backend's newest there before a run starts. Undefined: runs neither keep nor resume from any.
   */
  readonly checkpoints?: CheckpointStore;
  /** `checkpointPush`: where the run's checkpoints go besides the host's own copy (the backend). */
  start(job: TrainingJob, dataDir: string, observer: RunObserver, checkpointPush?: CheckpointPushTarget): RunHandle;
  /** Cancels every run and resolves once all have ended. */
  close(): Promise<void>;
}

export interface WorkerThreadTrainerOptions {
  readonly concurrency: number;
  /**
   * The executor's default data directory, used by no job (each names its own); an empty directory, so a job
   * that somehow lacked one would find no data rather than someone else's.
   */
  readonly emptyDataDir: string;
  /** Recorded in each model's manifest as `execution.host`. */
  readonly hostName: string;
  /** The compiled worker entry (tests). @defaultValue the LocalExecutor's default */
  readonly workerFile?: URL;
  /** @defaultValue the LocalExecutor's default */
  readonly cancelGraceMs?: number;
  /** The host's own copy of its runs' checkpoints. Undefined: none are kept (nor pushed). */
  readonly checkpointDir?: string;
}

/**
 * Runs host trainings exactly as local ones run: in worker threads of the `LocalExecutor`, through the one
 * `runTraining` pipeline. Only the manifest's execution record (`mode: 'host'`, this host's name) and the data
 * directory (one per run) differ.
 */
export class WorkerThreadTrainer implements HostTrainer {
  readonly device: DeviceInfo = detectDevice();
  readonly slots: number;
  private readonly executor: LocalExecutor;
  readonly checkpoints: CheckpointStore | undefined;

  constructor(options: WorkerThreadTrainerOptions) {
    this.executor = new LocalExecutor({
      // Every job names its own directory; this one is never read.
      dataDir: options.emptyDataDir,
      concurrency: options.concurrency,
      workerFile: options.workerFile,
      cancelGraceMs: options.cancelGraceMs,
      execution: { mode: 'host', host: options.hostName },
      checkpointDir: options.checkpointDir,
    });
    // Runs at once, not cores: each run holds KTRDR_THREADS_PER_RUN of them.
    this.slots = this.executor.capacity().slots;
    this.checkpoints = options.checkpointDir === undefined ? undefined : new CheckpointStore(options.checkpointDir);
  }

  start(job: TrainingJob, dataDir: string, observer: RunObserver, checkpointPush?: CheckpointPushTarget): RunHandle {
    const handle = this.executor.submit(job, observer, { dataDir, ...(checkpointPush !== undefined && { checkpointPush }) });
    const checkpoints = this.checkpoints;
    if (checkpoints === undefined) return handle;
    // A completed run needs its checkpoints no more (its result is what the backend fetches now); a failed or
    // cancelled one keeps this copy, which still holds the newest state should a push to the backend have failed.
    const outcome = handle.outcome.then(async (ended) => {
      if (ended.status === 'completed') await checkpoints.remove(job.operationId).catch(() => undefined);
      return ended;
    });
    return { outcome, cancel: (reason) => handle.cancel(reason) };
  }

  close(): Promise<void> {
    return this.executor.close();
  }
}
