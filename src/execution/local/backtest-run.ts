import { Worker } from 'node:worker_threads';
import type { OperationError } from '../../operations/operation.js';
import { notify, type RunObserver } from '../executor.js';
import type { BacktestResultSummary, BacktestWorkerInput, BacktestWorkerMessage } from './backtest-protocol.js';

export type BacktestOutcome =
  | { readonly status: 'completed'; readonly summary: BacktestResultSummary }
  | { readonly status: 'cancelled' }
  | { readonly status: 'failed'; readonly error: OperationError };

export interface BacktestRunOptions {
  /** The compiled `backtest-worker.js` (`resolveWorkerFile(undefined, 'backtest-worker.js')`). */
  readonly workerFile: URL;
  readonly input: BacktestWorkerInput;
  /** Progress and log lines, in the order the worker reported them. */
  readonly observer: Pick<RunObserver, 'onProgress' | 'onLogs'>;
}

/**
 * One backtest in its own worker thread. The outcome settles on the worker's final message, on its death, or on
 * `cancel`, which terminates the thread: a backtest keeps nothing worth stopping gracefully for, and its files are
 * only renamed into place at the very end. `exited` resolves once the thread is gone.
 */
export class BacktestRun {
  readonly outcome: Promise<BacktestOutcome>;
  readonly exited: Promise<void>;
  private readonly worker: Worker;
  private settle!: (outcome: BacktestOutcome) => void;
  private settled = false;
  private cancelRequested = false;

  constructor(private readonly options: BacktestRunOptions) {
    this.outcome = new Promise((resolve) => {
      this.settle = (outcome) => {
        if (this.settled) return;
        this.settled = true;
        resolve(outcome);
      };
    });
    this.worker = new Worker(options.workerFile, { workerData: options.input, stdout: false, stderr: false });
    this.worker.on('message', (message: BacktestWorkerMessage) => this.onMessage(message));
    this.worker.on('error', (error) =>
      this.settle({ status: 'failed', error: { code: 'INTERNAL', message: `backtest worker crashed: ${error.message}` } }),
    );
    this.exited = new Promise((resolve) => {
      this.worker.once('exit', (code) => {
        if (this.cancelRequested) this.settle({ status: 'cancelled' });
        else this.settle({ status: 'failed', error: { code: 'INTERNAL', message: `backtest worker exited with code ${code} before finishing` } });
        resolve();
      });
    });
  }

  /** Stops the worker; a run whose final message already arrived keeps its outcome. Idempotent. */
  cancel(): void {
    if (this.settled || this.cancelRequested) return;
    this.cancelRequested = true;
    void this.worker.terminate();
  }

  private onMessage(message: BacktestWorkerMessage): void {
    const { observer } = this.options;
    switch (message.type) {
      case 'reports':
        for (const report of message.reports) {
          if (report.kind === 'progress') notify(() => observer.onProgress?.(report.progress));
          else if (report.kind === 'logs') notify(() => observer.onLogs?.(report.records));
        }
        return;
      case 'completed':
        return this.settle({ status: 'completed', summary: message.summary });
      case 'failed':
        return this.settle({ status: 'failed', error: message.error });
    }
  }
}
