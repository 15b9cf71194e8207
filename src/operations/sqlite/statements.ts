import type Database from 'better-sqlite3';
import { decodeListCursor } from '../list-cursor.js';
import { UNFINISHED_STATUSES, type OperationStatus } from '../operation.js';
import type { ListQuery } from '../operation-store.js';
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
         cancel_requested_at = CASE WHEN @resumed THEN NULL ELSE COALESCE(cancel_requested_at, @cancel_requested_at) END,
         remote = CASE WHEN @resumed THEN NULL ELSE remote END,
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

type Params = Record<string, string | number>;

/** The SQL of one page of `list` (newest first, after the cursor) and of the total under the same filters. */
export function listQueries(query: ListQuery, limit: number): { pageSql: string; pageParams: Params; countSql: string; countParams: Params } {
  const filters: string[] = [];
  const params: Params = {};
  if (query.status !== undefined) {
    const statuses = typeof query.status === 'string' ? [query.status] : [...query.status];
    // A single status compares with `=` so the (status, created_at) index serves the whole query.
    if (statuses.length === 1) {
      filters.push('status = @status');
      params.status = statuses[0];
    } else {
      filters.push('status IN (SELECT value FROM json_each(@statuses))');
      params.statuses = JSON.stringify(statuses);
    }
  }
  if (query.type !== undefined) {
    filters.push('type = @type');
    params.type = query.type;
  }
  if (query.strategy !== undefined) {
    filters.push('strategy = @strategy');
    params.strategy = query.strategy;
  }
  const pageFilters = [...filters];
  const pageParams: Params = { ...params, limit: limit + 1 };
  if (query.cursor !== undefined) {
    const after = decodeListCursor(query.cursor);
    pageFilters.push('(created_at, id) < (@after_created_at, @after_id)');
    pageParams.after_created_at = after.created_at;
    pageParams.after_id = after.id;
  }
  const pageSql = `SELECT * FROM operations ${whereClause(pageFilters)} ORDER BY created_at DESC, id DESC LIMIT @limit`;
  const countSql = `SELECT COUNT(*) AS n FROM operations ${whereClause(filters)}`;
  return { pageSql, pageParams, countSql, countParams: params };
}

function whereClause(filters: readonly string[]): string {
  return filters.length === 0 ? '' : `WHERE ${filters.join(' AND ')}`;
}
