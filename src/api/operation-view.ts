import type { OperationEventWire, OperationLogsResponse, OperationResponse } from '../contracts/operations.js';
import type { Operation, OperationEvent } from '../operations/operation.js';
import type { LogRecord } from '../util/logger.js';

/**
 * The wire form of an operation. Listed field by field so that internal fields (the remote reference a host run
 * keeps for re-attachment) never leak, and so the compiler checks it against the contract.
 */
export function operationView(operation: Operation, now: Date = new Date()): OperationResponse {
  return {
    operation_id: operation.id,
    type: operation.type,
    strategy: operation.strategy,
    status: operation.status,
    parent_id: typeof operation.request.parent_id === 'string' ? operation.request.parent_id : null,
    request: operation.request,
    created_at: operation.created_at,
    started_at: operation.started_at,
    finished_at: operation.finished_at,
    cancel_requested_at: operation.cancel_requested_at,
    duration_seconds: durationSeconds(operation, now),
    progress: operation.progress,
    execution: operation.execution,
    error: operation.error,
    result: operation.result,
  };
}

function durationSeconds(operation: Operation, now: Date): number | null {
  if (operation.started_at === null) return null;
  const end = operation.finished_at === null ? now.getTime() : Date.parse(operation.finished_at);
  return Math.max(0, Math.round((end - Date.parse(operation.started_at)) / 10) / 100);
}

export function logLinesView(id: string, records: readonly LogRecord[]): OperationLogsResponse {
  return { operation_id: id, lines: records.map((r) => ({ time: new Date(r.time).toISOString(), level: r.level, msg: r.msg })) };
}

export function eventView(event: OperationEvent): OperationEventWire {
  return {
    seq: event.seq,
    operation_id: event.operation_id,
    kind: event.kind,
    time: event.time,
    data: event.data as unknown as Record<string, unknown>,
  };
}
