import type { TrainingProgress } from '../../training/progress.js';
import type {
  ExecutionRecord,
  Operation,
  OperationError,
  OperationEvent,
  OperationStatus,
  OperationType,
  RemoteRef,
  ResultSummary,
} from '../operation.js';

/** `operations` as stored: JSON columns are text. */
export interface OperationRow {
  id: string;
  type: string;
  strategy: string;
  status: string;
  request: string;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  cancel_requested_at: string | null;
  progress: string | null;
  execution: string;
  error: string | null;
  result: string | null;
  remote: string | null;
}

export interface EventRow {
  seq: number;
  operation_id: string;
  kind: string;
  time: string;
  data: string;
}

function parseOrNull<T>(text: string | null): T | null {
  return text === null ? null : (JSON.parse(text) as T);
}

/** Only this module's writers put rows in the table, so the stored strings are trusted to be in their unions. */
export function toOperation(row: OperationRow): Operation {
  return {
    id: row.id,
    type: row.type as OperationType,
    strategy: row.strategy,
    status: row.status as OperationStatus,
    request: JSON.parse(row.request) as Operation['request'],
    created_at: row.created_at,
    started_at: row.started_at,
    finished_at: row.finished_at,
    cancel_requested_at: row.cancel_requested_at,
    progress: parseOrNull<TrainingProgress>(row.progress),
    execution: JSON.parse(row.execution) as ExecutionRecord,
    error: parseOrNull<OperationError>(row.error),
    result: parseOrNull<ResultSummary>(row.result),
    remote: parseOrNull<RemoteRef>(row.remote),
  };
}

export function toEvent(row: EventRow): OperationEvent {
  return {
    seq: row.seq,
    operation_id: row.operation_id,
    kind: row.kind,
    time: row.time,
    data: JSON.parse(row.data),
  } as OperationEvent;
}
