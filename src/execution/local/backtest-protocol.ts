import type { BacktestSettings } from '../../backtest/engine.js';
import type { BacktestRunSummary } from '../../models/model-backtest.js';
import type { OperationError } from '../../operations/operation.js';
import type { TrainingStepKey } from '../../training/steps.js';
import type { LogLevel } from '../../util/logger.js';
import type { Report } from './report-buffer.js';

/** A backtest of a stored model as a worker receives it, resolved and checked by the caller. */
export interface BacktestJob {
  readonly operationId: string;
  readonly strategy: string;
  /** Resolved when the request was accepted, so a model trained meanwhile does not change what runs. */
  readonly version: number;
  readonly symbol: string;
  readonly timeframe?: string;
  readonly start?: string;
  readonly end?: string;
  readonly settings: Partial<BacktestSettings>;
}

/** `workerData` of a backtest worker. */
export interface BacktestWorkerInput {
  readonly job: BacktestJob;
  readonly dataDir: string;
  readonly modelsDir: string;
  /** Where the trades and the equity curve go (`result-files.ts`). */
  readonly resultDir: string;
  readonly logLevel: LogLevel;
  /** Nice value for the worker thread; see `thread-priority.ts`. */
  readonly nice: number;
}

/** The operation's `result` of a completed backtest: the run's summary, the trade count, and no model. */
export interface BacktestResultSummary extends BacktestRunSummary {
  readonly model_version: null;
  readonly trades: number;
}

export type BacktestWorkerMessage =
  | { readonly type: 'reports'; readonly reports: readonly Report[] }
  | { readonly type: 'completed'; readonly summary: BacktestResultSummary }
  | { readonly type: 'failed'; readonly error: OperationError };

/**
 * The phases a backtest reports, as progress steps. They reuse the training steps' keys (one progress shape for
 * every operation); `percent` is where each phase starts. Features dominate: indicators run over the whole history.
 */
export const BACKTEST_PHASES = [
  { step: 'load_data', title: 'Loading the model and market data', percent: 0 },
  { step: 'features', title: 'Computing features and signals', percent: 10 },
  { step: 'backtest', title: 'Running the backtest', percent: 70 },
  { step: 'package', title: 'Saving the trades and the equity curve', percent: 85 },
] as const satisfies readonly { step: TrainingStepKey; title: string; percent: number }[];
