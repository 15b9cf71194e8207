import type Database from 'better-sqlite3';
import { UNFINISHED_STATUSES, type OperationStatus } from '../operation.js';
import type { EventRow, OperationRow } from './rows.js';

const UNFINISHED_JSON = JSON.stringify(UNFINISHED_STATUSES);

/** Every statement the operation store runs, prepared once per connection. */
export function prepareStatements(db: Database.Database) {
  return {
    insertOperation: db.prepare(
      `INSERT INTO operations (id, type, strategy, status, request, created_at, execution)
       VALUES (@id, @type, @strategy, 'pending', @request, @created_at, @execution)`,
    ),
    // The one statement behind GET /operations/:id.
    selectOperation: db.prepare<[string], OperationRow>('SELECT * FROM operations WHERE id = ?'),
    selectStatus: db.prepare<[string], { status: OperationStatus }>('SELECT status FROM operations WHERE id = ?'),
    // Compare-and-set: applies only while the status is still one of @from.
    transition: db.prepare(
      `UPDATE operations SET
         status = @to,
         started_at = COALESCE(started_at, @started_at),
         finished_at = @finished_at,
         cancel_requested_at = COALESCE(cancel_requested_at, @cancel_requested_at),
         execution = COALESCE(@execution, execution),
         error = @error,
         result = @result
       WHERE id = @id AND status IN (SELECT value FROM json_each(@from))`,
    ),
    updateProgress: db.prepare(`UPDATE operations SET progress = ? WHERE id = ? AND status IN (SELECT value FROM json_each('${UNFINISHED_JSON}'))`),
    // Only a failed operation without a result: the status is untouched, and a second attach changes nothing.
    attachRecoveredResult: db.prepare(`UPDATE operations SET result = ? WHERE id = ? AND status = 'failed' AND result IS NULL`),
    updateExecution: db.prepare(`UPDATE operations SET execution = ? WHERE id = ? AND status IN (SELECT value FROM json_each('${UNFINISHED_JSON}'))`),
    updateRemote: db.prepare(`UPDATE operations SET remote = ? WHERE id = ? AND status IN (SELECT value FROM json_each('${UNFINISHED_JSON}'))`),
    insertEvent: db.prepare('INSERT INTO operation_events (operation_id, kind, time, data) VALUES (@operation_id, @kind, @time, @data)'),
    // Duplicates of an epoch hit the partial unique index and are skipped.
    insertMetric: db.prepare(
      `INSERT OR IGNORE INTO operation_events (operation_id, kind, time, epoch, data)
       VALUES (@operation_id, 'metric', @time, @epoch, @data)`,
    ),
    selectEvents: db.prepare<{ id: string; after: number; kinds: string | null; limit: number }, EventRow>(
      `SELECT seq, operation_id, kind, time, data FROM operation_events
       WHERE operation_id = @id AND seq > @after AND (@kinds IS NULL OR kind IN (SELECT value FROM json_each(@kinds)))
       ORDER BY seq LIMIT @limit`,
    ),
    selectLogs: db.prepare<[string], { data: string }>(`SELECT data FROM operation_events WHERE operation_id = ? AND kind = 'log' ORDER BY seq`),
    selectMetrics: db.prepare<[string], { data: string }>(
      `SELECT data FROM operation_events WHERE operation_id = ? AND kind = 'metric' ORDER BY epoch`,
    ),
    countByStatus: db.prepare<[], { status: OperationStatus; n: number }>('SELECT status, COUNT(*) AS n FROM operations GROUP BY status'),
    selectUnfinished: db.prepare<[], OperationRow>(
      `SELECT * FROM operations WHERE status IN (SELECT value FROM json_each('${UNFINISHED_JSON}'))
       ORDER BY created_at, id`,
    ),
  };
}

export type Statements = ReturnType<typeof prepareStatements>;
