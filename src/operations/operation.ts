import { isKtrdrError, type ErrorCode } from '../errors.js';
import type { TrainingProgress } from '../training/progress.js';
import type { LogRecord } from '../util/logger.js';

/**
 * Lifecycle of an operation. `cancelling` sits between a cancel request and its confirmation: the work is still
 * running and the record must not claim it stopped before it did. See `transitions.ts` for who may move where.
 */
export const OPERATION_STATUSES = ['pending', 'running', 'cancelling', 'completed', 'failed', 'cancelled'] as const;
export type OperationStatus = (typeof OPERATION_STATUSES)[number];

export const TERMINAL_STATUSES = ['completed', 'failed', 'cancelled'] as const satisfies readonly OperationStatus[];
export const UNFINISHED_STATUSES = ['pending', 'running', 'cancelling'] as const satisfies readonly OperationStatus[];
export type TerminalStatus = (typeof TERMINAL_STATUSES)[number];

export function isTerminal(status: OperationStatus): status is TerminalStatus {
  return (TERMINAL_STATUSES as readonly OperationStatus[]).includes(status);
}

/**
 * A training writes a model version; a backtest runs a stored model on stored bars (`POST /backtests`); a sweep and
 * a walk-forward run many trainings as their children (`request.parent_id` names the parent) and rank or stitch them.
 */
export const OPERATION_TYPES = ['training', 'backtest', 'sweep', 'walkforward'] as const;
export type OperationType = (typeof OPERATION_TYPES)[number];

export const EXECUTION_MODES = ['auto', 'local', 'host'] as const;
export type ExecutionMode = (typeof EXECUTION_MODES)[number];
export type ExecutionTarget = 'local' | 'host';

/** Where a run was asked to go, where it went and why; fallbacks are recorded here with their reason. */
export interface ExecutionRecord {
  readonly requested: ExecutionMode;
  /** Null until the execution layer has chosen. */
  readonly selected: ExecutionTarget | null;
  readonly reason: string | null;
  /** Base URL of the training host, when `selected` is `host`. */
  readonly host?: string;
  /** Compute device that ran the work, e.g. `cpu` or a GPU name. */
  readonly device?: string;
}

export interface OperationError {
  readonly code: ErrorCode;
  readonly message: string;
}

/*
 * The JSON payloads below come in two forms: the minimum a writer must provide (any object with those keys, so an
 * interface type from another layer fits without a cast) and the form read back, where extra keys are kept as given.
 */

export interface ResultSummaryCore {
  /** Version written to the model store; null when the operation produced no model. */
  readonly model_version: number | null;
}
/** What a completed run left behind: the model version plus whatever the writer added (metrics, paths). */
export interface ResultSummary extends ResultSummaryCore {
  readonly [key: string]: unknown;
}

export interface RemoteRefCore {
  readonly host_url: string;
  readonly run_id: string;
}
/** Enough to find a run on a training host again after a backend restart. */
export interface RemoteRef extends RemoteRefCore {
  readonly [key: string]: unknown;
}

export interface EpochMetricsCore {
  readonly epoch: number;
}
/** One epoch's numbers, as stored. NaN and infinities become null on the way into JSON. */
export interface EpochMetrics extends EpochMetricsCore {
  readonly train_loss?: number | null;
  readonly train_accuracy?: number | null;
  readonly val_loss?: number | null;
  readonly val_accuracy?: number | null;
  readonly learning_rate?: number | null;
  readonly duration_ms?: number | null;
  readonly [key: string]: unknown;
}

export type JsonObject = Record<string, unknown>;

export interface Operation {
  readonly id: string;
  readonly type: OperationType;
  readonly strategy: string;
  readonly status: OperationStatus;
  /** The request as accepted, kept verbatim so a run can be explained or repeated. */
  readonly request: JsonObject;
  /** ISO 8601 UTC timestamps. */
  readonly created_at: string;
  readonly started_at: string | null;
  readonly finished_at: string | null;
  readonly cancel_requested_at: string | null;
  /** Latest progress snapshot; null until the first report. */
  readonly progress: TrainingProgress | null;
  readonly execution: ExecutionRecord;
  /** Set only when `status` is `failed`. */
  readonly error: OperationError | null;
  /**
   * Set when `status` is `completed`; also on a `failed` run whose model was recovered afterwards (a training host
   * that came back after HOST_LOST, see `OperationStore.attachRecoveredResult`).
   */
  readonly result: ResultSummary | null;
  readonly remote: RemoteRef | null;
}

export type OperationEventKind = 'progress' | 'log' | 'metric' | 'status';

export interface StatusChange {
  readonly from: OperationStatus | null;
  readonly to: OperationStatus;
  readonly reason?: string;
  /** The failure that ended a run while it was being cancelled (the status is `cancelled`, the cause is kept here). */
  readonly error?: OperationError;
  /** Set on the `markResumed` transition: a failed or cancelled run continuing from its checkpoint at `epoch`. */
  readonly resumed?: { readonly epoch: number; readonly total_epochs: number };
}

interface EventBase<K extends OperationEventKind, D> {
  /** Store-wide, strictly increasing; usable as an SSE `id` and as the `afterSeq` cursor. */
  readonly seq: number;
  readonly operation_id: string;
  readonly kind: K;
  /** When the store recorded the event (ISO 8601 UTC). */
  readonly time: string;
  readonly data: D;
}

export type ProgressEvent = EventBase<'progress', TrainingProgress>;
export type LogEvent = EventBase<'log', LogRecord>;
export type MetricEvent = EventBase<'metric', EpochMetrics>;
export type StatusEvent = EventBase<'status', StatusChange>;
export type OperationEvent = ProgressEvent | LogEvent | MetricEvent | StatusEvent;

/** The `{code, message}` kept on a failed operation, from whatever the run threw. */
export function toOperationError(error: unknown, fallback: ErrorCode = 'TRAINING_FAILED'): OperationError {
  if (isKtrdrError(error)) return { code: error.code, message: error.message };
  const message = error instanceof Error ? error.message : String(error);
  return { code: fallback, message };
}
