import type { TrainingProgress } from '../training/progress.js';
import type { LogRecord } from '../util/logger.js';
import type {
  EpochMetrics,
  EpochMetricsCore,
  ExecutionRecord,
  ExecutionTarget,
  MetricEvent,
  Operation,
  OperationError,
  OperationEvent,
  OperationEventKind,
  OperationStatus,
  OperationType,
  RemoteRefCore,
  ResultSummaryCore,
  StatusChange,
} from './operation.js';
import type { OperationEvents } from './operation-events.js';

export const LIST_LIMIT_DEFAULT = 50;
export const LIST_LIMIT_MAX = 500;
export const EVENTS_LIMIT_DEFAULT = 1000;
export const EVENTS_LIMIT_MAX = 10_000;

export interface CreateOperationInput {
  /** Defaults to a new UUID. A taken id is `OPERATION_EXISTS`. */
  id?: string;
  type: OperationType;
  strategy: string;
  /** Any JSON-serialisable object; read back as a plain object. */
  request: object;
  /** Defaults to `{requested: 'auto', selected: null, reason: null}`. */
  execution?: ExecutionRecord;
}

export interface ListQuery {
  status?: OperationStatus | readonly OperationStatus[];
  type?: OperationType;
  strategy?: string;
  /** 1..500, default 50. */
  limit?: number;
  /** `next_cursor` of the previous page. */
  cursor?: string;
}

export interface ListPage {
  /** Newest first. */
  data: Operation[];
  /** Null on the last page. */
  next_cursor: string | null;
  /** Operations matching the filters, on all pages. */
  total: number;
}

export interface EventsQuery<K extends OperationEventKind = OperationEventKind> {
  /** Only these kinds; all when absent. */
  kinds?: readonly K[];
  /** 1..10000, default 1000. */
  limit?: number;
}

export interface UnfinishedQuery {
  /** Only operations whose `execution.selected` is this (null: not yet selected). */
  selected?: ExecutionTarget | null;
}

/**
 * Port: where operations and their event logs live. State changes only through the named transition methods; each
 * throws `OPERATION_NOT_FOUND` for an unknown id, `OPERATION_FINISHED` when the operation already ended, and
 * `INVALID_TRANSITION` when it is in a status the change does not start from (see `transitions.ts`). Each returns the record
 * as it is after the change, whose `status` says which rule applied.
 */
export interface OperationStore {
  /** In-process notifications of new events and terminal transitions. */
  readonly events: OperationEvents;

  create(input: CreateOperationInput): Promise<Operation>;
  /** Throws `OPERATION_NOT_FOUND`. */
  get(id: string): Promise<Operation>;
  find(id: string): Promise<Operation | null>;
  list(query?: ListQuery): Promise<ListPage>;
  /** Every status, zero-filled; what health reports as running/pending counts. */
  countByStatus(): Promise<Record<OperationStatus, number>>;
  /** Operations a previous process may have left behind (pending, running, cancelling), oldest first. */
  listUnfinished(query?: UnfinishedQuery): Promise<Operation[]>;

  /** pending → running; may set the execution record in the same step. */
  markRunning(id: string, options?: { execution?: ExecutionRecord }): Promise<Operation>;
  /**
   * running → completed; while cancelling, completed if `result.model_version` is a number (the model is saved),
   * otherwise cancelled.
   */
  markCompleted<R extends ResultSummaryCore>(id: string, result: R): Promise<Operation>;
  /** pending | running → failed; while cancelling → cancelled, with the failure kept on the status event. */
  markFailed(id: string, error: OperationError): Promise<Operation>;
  /** pending → cancelled; running → cancelling; already cancelling: unchanged. */
  requestCancel(id: string, options?: { reason?: string }): Promise<Operation>;
  /** cancelling → cancelled, once the work has really stopped. */
  confirmCancelled(id: string): Promise<Operation>;
  /**
   * Start-up recovery: fails, with `INTERRUPTED`, every unfinished operation `shouldFail` accepts; by default those
   * not running on a host (`execution.selected` is `local` or null). Host runs are left for re-attachment.
   */
  failInterrupted(shouldFail?: (operation: Operation) => boolean): Promise<Operation[]>;

  /**
   * failed | cancelled → running: the run continues from its checkpoint as the same operation (`ktrdr ops resume`,
   * start-up recovery). Clears the error, the finish time and the cancel request; records `resumed` and `reason` on
   * the status event and may replace the execution record (the run may go to another executor).
   */
  markResumed(
    id: string,
    options: { resumed: NonNullable<StatusChange['resumed']>; reason: string; execution?: ExecutionRecord },
  ): Promise<Operation>;

  /**
   * A `failed` operation whose work turned out to have finished after all (a training host that came back after
   * HOST_LOST with the model): records `result` without leaving `failed`, so a client that saw the failure is never
   * contradicted and the terminal status stays final. Once only: a second call returns the record unchanged.
   * `INVALID_TRANSITION` for any other status.
   */
  attachRecoveredResult<R extends ResultSummaryCore>(id: string, result: R): Promise<Operation>;

  /** Replaces the execution record of an unfinished operation. */
  setExecution(id: string, execution: ExecutionRecord): Promise<void>;
  /** Records where a run lives on a training host, for re-attachment. Unfinished operations only. */
  setRemote<R extends RemoteRefCore>(id: string, remote: R): Promise<void>;

  /**
   * Updates the latest snapshot and may append a `progress` event (throttled, see `ProgressThrottle`). Progress that
   * arrives after the operation ended is dropped: the final snapshot must stay final.
   */
  recordProgress(id: string, progress: TrainingProgress): Promise<void>;
  /** Appends `log` events in one transaction. Accepted in any status: late lines are still facts. */
  appendLogs(id: string, records: readonly LogRecord[]): Promise<void>;
  /**
   * Appends a `metric` event for one epoch. A second record for an epoch already stored is ignored (hosts may
   * deliver twice) and null is returned.
   */
  appendMetric<M extends EpochMetricsCore>(id: string, metrics: M): Promise<MetricEvent | null>;
  /**
   * `appendMetric` for several epochs in one transaction (a worker reports in batches; one transaction per epoch
   * would cost the server a commit per sub-millisecond epoch). Returns the events written, duplicates left out.
   */
  appendMetrics<M extends EpochMetricsCore>(id: string, metrics: readonly M[]): Promise<MetricEvent[]>;

  /** Events with `seq > afterSeq`, oldest first; typed by the kinds asked for. */
  eventsSince<K extends OperationEventKind = OperationEventKind>(id: string, afterSeq: number, query?: EventsQuery<K>): Promise<EventOfKind<K>[]>;
  logs(id: string): Promise<LogRecord[]>;
  /** One record per epoch, in epoch order. */
  metrics(id: string): Promise<EpochMetrics[]>;

  close(): Promise<void>;
}

export type EventOfKind<K extends OperationEventKind> = Extract<OperationEvent, { kind: K }>;

export const DEFAULT_EXECUTION: ExecutionRecord = { requested: 'auto', selected: null, reason: null };

/** The default `failInterrupted` rule: what ran (or would have run) in this process cannot still be running. */
export function isLocallyExecuted(operation: Operation): boolean {
  return operation.execution.selected !== 'host';
}
