import { Worker } from 'node:worker_threads';
import { notify, type RunObserver, type RunOutcome } from '../executor.js';
import type { Report } from './report-buffer.js';
import { newCancelFlag, raiseCancelFlag, type WorkerInput, type WorkerMessage } from './worker-protocol.js';

export interface WorkerRunOptions {
  readonly workerFile: URL;
  readonly input: Omit<WorkerInput, 'cancelFlag'>;
  readonly observer: RunObserver;
  /** After a cancel, how long the worker may take to stop on its own before it is terminated. */
  readonly cancelGraceMs: number;
}

/**
 * One training run in its own worker thread. Messages from the worker go to the observer in arrival order; the
 * outcome settles on the worker's final message (or on its death), and `exited` once the thread is gone, which is
 * when its slot may be reused.
 */
export class WorkerRun {
  readonly outcome: Promise<RunOutcome>;
  readonly exited: Promise<void>;
  private readonly cancelFlag = newCancelFlag();
  private readonly worker: Worker;
  private settle!: (outcome: RunOutcome) => void;
  private settled = false;
  private cancelRequested = false;
  private terminateTimer: NodeJS.Timeout | undefined;

  constructor(private readonly options: WorkerRunOptions) {
    this.outcome = new Promise((resolve) => {
      this.settle = (outcome) => {
        if (this.settled) return;
        this.settled = true;
        resolve(outcome);
      };
    });
    const input: WorkerInput = { ...options.input, cancelFlag: this.cancelFlag };
    this.worker = new Worker(options.workerFile, { workerData: input, stdout: false, stderr: false });
    this.worker.on('message', (message: WorkerMessage) => this.onMessage(message));
    this.worker.on('error', (error) => {
      this.settle({ status: 'failed', error: { code: 'TRAINING_FAILED', message: `training worker crashed: ${error.message}` } });
    });
    this.exited = new Promise((resolve) => {
      this.worker.once('exit', (code) => {
        clearTimeout(this.terminateTimer);
        if (this.cancelRequested) this.settle({ status: 'cancelled', started: true });
        else
          this.settle({ status: 'failed', error: { code: 'TRAINING_FAILED', message: `training worker exited with code ${code} before finishing` } });
        resolve();
      });
    });
  }

  cancel(): void {
    if (this.settled || this.cancelRequested) return;
    this.cancelRequested = true;
    raiseCancelFlag(this.cancelFlag);
    // A step that never reaches a `tick` (a huge file being parsed) must not make cancel hang forever.
    this.terminateTimer = setTimeout(() => void this.worker.terminate(), this.options.cancelGraceMs);
    this.terminateTimer.unref();
  }

  private onMessage(message: WorkerMessage): void {
    const { observer } = this.options;
    switch (message.type) {
      case 'reports':
        for (const report of message.reports) notify(() => deliver(observer, report));
        return;
      case 'completed':
        return this.settle({ status: 'completed', artifact: message.artifact });
      case 'cancelled':
        return this.settle({ status: 'cancelled', started: true });
      case 'failed':
        return this.settle({ status: 'failed', error: message.error });
    }
  }
}

function deliver(observer: RunObserver, report: Report): void {
  switch (report.kind) {
    case 'progress':
      return observer.onProgress?.(report.progress);
    case 'logs':
      return observer.onLogs?.(report.records);
    case 'epochs':
      return observer.onEpochs?.(report.records);
  }
}
