import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { KtrdrError } from '../../errors.js';
import type { TrainingProgress } from '../../training/progress.js';
import type { LogRecord } from '../../util/logger.js';
import { encodeListCursor } from '../list-cursor.js';
import {
  OPERATION_STATUSES,
  isTerminal,
  type EpochMetrics,
  type EpochMetricsCore,
  type ExecutionRecord,
  type MetricEvent,
  type Operation,
  type OperationError,
  type OperationEvent,
  type OperationEventKind,
  type OperationStatus,
  type RemoteRefCore,
  type ResultSummaryCore,
  type StatusChange,
} from '../operation.js';
import { OperationEvents } from '../operation-events.js';
import {
  DEFAULT_EXECUTION,
  EVENTS_LIMIT_DEFAULT,
  EVENTS_LIMIT_MAX,
  LIST_LIMIT_DEFAULT,
  LIST_LIMIT_MAX,
  isLocallyExecuted,
  type CreateOperationInput,
  type EventOfKind,
  type EventsQuery,
  type ListPage,
  type ListQuery,
  type OperationStore,
  type UnfinishedQuery,
} from '../operation-store.js';
import { DEFAULT_PROGRESS_EVENT_INTERVAL_MS, ProgressThrottle } from '../progress-throttle.js';
import { notFound, refusal, statusChange, type TransitionPatch } from '../transition-records.js';
import { nextStatus, type TransitionName } from '../transitions.js';
import { checkIntegrity, isCorruptionError, storeCorrupt } from './integrity.js';
import { migrate } from './migrations.js';
import { toEvent, toOperation, type OperationRow } from './rows.js';
import { listQueries, prepareStatements, type Statements } from './statements.js';

export interface SqliteOperationStoreOptions {
  /** Receives the store's notifications; a new one by default. */
  events?: OperationEvents;
  /** Clock for timestamps and progress throttling; injectable so tests control ordering. */
  now?: () => Date;
  /** Minimum gap between persisted progress events of one operation. @defaultValue 250 */
  progressEventIntervalMs?: number;
  /** How long a write waits for another connection's lock before failing. @defaultValue 5000 */
  busyTimeoutMs?: number;
}

/** A transition as applied, or the status that refused it. */
type TransitionOutcome = { applied: true; operation: Operation; events: OperationEvent[] } | { applied: false; current: OperationStatus | null };

const INTERRUPTED_ERROR: OperationError = {
  code: 'INTERRUPTED',
  message: 'The server restarted before the operation finished.',
};

/**
 * Operations in SQLite (`KTRDR_HOME/ktrdr.db`, or ':memory:'). All SQL of the operations layer lives in this folder.
 *
 * better-sqlite3 is synchronous, so each method runs to completion before another starts in this process; writes
 * still use `BEGIN IMMEDIATE` and status-guarded updates because a second process (the CLI, a second server) may
 * hold another connection to the same file.
 */
export class SqliteOperationStore implements OperationStore {
  readonly events: OperationEvents;
  private readonly db: Database.Database;
  private readonly now: () => Date;
  private readonly throttle: ProgressThrottle;
  private readonly statements: Statements;
  private readonly listStatements = new Map<string, Database.Statement>();

  constructor(path: string, options: SqliteOperationStoreOptions = {}) {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    this.db = new Database(path, { timeout: options.busyTimeoutMs ?? 5000 });
    try {
      // Before anything writes: a damaged file is refused as it is. A garbage file fails at the first read; damage
      // inside a real database only shows where a page is read, which would otherwise be in the middle of start-up
      // (or of a request). quick_check reads every page once, a few milliseconds per megabyte.
      if (path !== ':memory:') checkIntegrity(this.db, path);
      this.db.pragma('journal_mode = WAL');
      // NORMAL is durable across process crashes in WAL mode; only an OS crash can lose the last commits.
      this.db.pragma('synchronous = NORMAL');
      this.db.pragma('foreign_keys = ON');
      migrate(this.db);
      this.statements = prepareStatements(this.db);
    } catch (error) {
      this.db.close();
      throw isCorruptionError(error) ? storeCorrupt(path, error.message, { sqlite_code: error.code }, error) : error;
    }
    this.events = options.events ?? new OperationEvents();
    this.now = options.now ?? (() => new Date());
    this.throttle = new ProgressThrottle(options.progressEventIntervalMs ?? DEFAULT_PROGRESS_EVENT_INTERVAL_MS, () => this.now().getTime());
  }

  async create(input: CreateOperationInput): Promise<Operation> {
    const id = input.id ?? randomUUID();
    const events = this.db
      .transaction(() => {
        try {
          this.statements.insertOperation.run({
            id,
            type: input.type,
            strategy: input.strategy,
            request: JSON.stringify(input.request),
            created_at: this.timestamp(),
            execution: JSON.stringify(input.execution ?? DEFAULT_EXECUTION),
          });
        } catch (error) {
          if (isConstraintError(error, 'SQLITE_CONSTRAINT_PRIMARYKEY')) {
            throw new KtrdrError('OPERATION_EXISTS', `operation ${id} already exists`, { details: { id }, cause: error });
          }
          throw error;
        }
        const change: StatusChange = { from: null, to: 'pending' };
        return [this.insertEvent(id, 'status', change)];
      })
      .immediate();
    this.publish(events);
    return this.mustGet(id);
  }

  async get(id: string): Promise<Operation> {
    return this.mustGet(id);
  }

  async find(id: string): Promise<Operation | null> {
    const row = this.statements.selectOperation.get(id);
    return row === undefined ? null : toOperation(row);
  }

  async list(query: ListQuery = {}): Promise<ListPage> {
    const limit = checkLimit(query.limit, LIST_LIMIT_DEFAULT, LIST_LIMIT_MAX);
    const { pageSql, pageParams, countSql, countParams } = listQueries(query, limit);
    // One read transaction, so the page and the total come from the same snapshot.
    return this.db.transaction(() => {
      const rows = this.listStatement(pageSql).all(pageParams) as OperationRow[];
      const { n } = this.listStatement(countSql).get(countParams) as { n: number };
      const data = rows.slice(0, limit).map(toOperation);
      const last = data[data.length - 1];
      const next_cursor = rows.length > limit && last ? encodeListCursor(last) : null;
      return { data, next_cursor, total: n };
    })();
  }

  async countByStatus(): Promise<Record<OperationStatus, number>> {
    const counts = Object.fromEntries(OPERATION_STATUSES.map((s) => [s, 0])) as Record<OperationStatus, number>;
    for (const { status, n } of this.statements.countByStatus.all()) counts[status] = n;
    return counts;
  }

  async listUnfinished(query: UnfinishedQuery = {}): Promise<Operation[]> {
    const operations = this.statements.selectUnfinished.all().map(toOperation);
    if (!('selected' in query) || query.selected === undefined) return operations;
    return operations.filter((op) => op.execution.selected === query.selected);
  }

  async markRunning(id: string, options: { execution?: ExecutionRecord } = {}): Promise<Operation> {
    return this.transitionOrThrow(id, 'markRunning', { execution: options.execution });
  }

  async markCompleted<R extends ResultSummaryCore>(id: string, result: R): Promise<Operation> {
    const modelSaved = typeof result.model_version === 'number';
    return this.transitionOrThrow(id, modelSaved ? 'completeWithModel' : 'completeWithoutModel', { result });
  }

  async markFailed(id: string, error: OperationError): Promise<Operation> {
    return this.transitionOrThrow(id, 'markFailed', { error });
  }

  async requestCancel(id: string, options: { reason?: string } = {}): Promise<Operation> {
    const outcome = this.transition(id, 'requestCancel', { reason: options.reason });
    // Asking again while the first request is being honoured is not an error; the caller sees the same state.
    if (!outcome.applied && outcome.current === 'cancelling') return this.mustGet(id);
    return this.finishTransition(id, 'requestCancel', outcome);
  }

  async markResumed(
    id: string,
    options: { resumed: NonNullable<StatusChange['resumed']>; reason: string; execution?: ExecutionRecord },
  ): Promise<Operation> {
    return this.transitionOrThrow(id, 'markResumed', { resumed: options.resumed, reason: options.reason, execution: options.execution });
  }

  async confirmCancelled(id: string): Promise<Operation> {
    return this.transitionOrThrow(id, 'confirmCancelled', {});
  }

  async failInterrupted(shouldFail: (operation: Operation) => boolean = isLocallyExecuted): Promise<Operation[]> {
    const outcomes = this.db
      .transaction(() =>
        this.statements.selectUnfinished
          .all()
          .map(toOperation)
          .filter((op) => shouldFail(op))
          .map((op) => this.applyTransition(op.id, 'failInterrupted', { error: INTERRUPTED_ERROR, reason: INTERRUPTED_ERROR.message })),
      )
      .immediate();
    const failed: Operation[] = [];
    for (const outcome of outcomes) {
      if (!outcome.applied) continue;
      this.publishTransition(outcome.operation, outcome.events);
      failed.push(outcome.operation);
    }
    return failed;
  }

  async attachRecoveredResult<R extends ResultSummaryCore>(id: string, result: R): Promise<Operation> {
    const changed = this.statements.attachRecoveredResult.run(JSON.stringify(result), id).changes;
    if (changed === 0) {
      const operation = this.mustGet(id);
      if (operation.status === 'failed') return operation; // already attached: once only
      throw new KtrdrError('INVALID_TRANSITION', `cannot attach a recovered result to operation ${id}: it is ${operation.status}, not failed`, {
        details: { id, status: operation.status },
      });
    }
    return this.mustGet(id);
  }

  async setExecution(id: string, execution: ExecutionRecord): Promise<void> {
    const changed = this.statements.updateExecution.run(JSON.stringify(execution), id).changes;
    if (changed === 0) this.throwUnchangeable(id, 'set the execution of');
  }

  async setRemote<R extends RemoteRefCore>(id: string, remote: R): Promise<void> {
    const changed = this.statements.updateRemote.run(JSON.stringify(remote), id).changes;
    if (changed === 0) this.throwUnchangeable(id, 'set the remote reference of');
  }

  async recordProgress(id: string, progress: TrainingProgress): Promise<void> {
    const event = this.db
      .transaction(() => {
        const json = JSON.stringify(progress);
        const changed = this.statements.updateProgress.run(json, id).changes;
        if (changed === 0) {
          this.mustGetStatus(id);
          return undefined; // ended: late progress is dropped
        }
        return this.throttle.offer(id, progress) ? this.insertEventJson(id, 'progress', json) : undefined;
      })
      .immediate();
    if (event) this.publish([event]);
  }

  async appendLogs(id: string, records: readonly LogRecord[]): Promise<void> {
    if (records.length === 0) {
      this.mustGetStatus(id);
      return;
    }
    const events = this.db
      .transaction(() => {
        this.mustGetStatus(id);
        return records.map((record) => this.insertEvent(id, 'log', record));
      })
      .immediate();
    this.publish(events);
  }

  async appendMetric<M extends EpochMetricsCore>(id: string, metrics: M): Promise<MetricEvent | null> {
    const [event] = await this.appendMetrics(id, [metrics]);
    return event ?? null;
  }

  async appendMetrics<M extends EpochMetricsCore>(id: string, metrics: readonly M[]): Promise<MetricEvent[]> {
    for (const record of metrics) {
      if (!Number.isInteger(record.epoch) || record.epoch < 0) {
        throw new KtrdrError('VALIDATION_FAILED', `epoch metrics need a non-negative integer epoch, got ${String(record.epoch)}`, {
          details: { epoch: record.epoch },
        });
      }
    }
    const events = this.db
      .transaction(() => {
        this.mustGetStatus(id);
        const written: MetricEvent[] = [];
        for (const record of metrics) {
          const data = JSON.stringify(record);
          const time = this.timestamp();
          const inserted = this.statements.insertMetric.run({ operation_id: id, time, epoch: record.epoch, data });
          if (inserted.changes === 0) continue;
          written.push(toEvent({ seq: Number(inserted.lastInsertRowid), operation_id: id, kind: 'metric', time, data }) as MetricEvent);
        }
        return written;
      })
      .immediate();
    if (events.length > 0) this.publish(events);
    return events;
  }

  async eventsSince<K extends OperationEventKind = OperationEventKind>(
    id: string,
    afterSeq: number,
    query: EventsQuery<K> = {},
  ): Promise<EventOfKind<K>[]> {
    const limit = checkLimit(query.limit, EVENTS_LIMIT_DEFAULT, EVENTS_LIMIT_MAX);
    const kinds = query.kinds === undefined ? null : JSON.stringify(query.kinds);
    const rows = this.statements.selectEvents.all({ id, after: afterSeq, kinds, limit });
    if (rows.length === 0) this.mustGetStatus(id);
    return rows.map((row) => toEvent(row) as EventOfKind<K>);
  }

  async logs(id: string): Promise<LogRecord[]> {
    const rows = this.statements.selectLogs.all(id);
    if (rows.length === 0) this.mustGetStatus(id);
    return rows.map((row) => JSON.parse(row.data) as LogRecord);
  }

  async metrics(id: string): Promise<EpochMetrics[]> {
    const rows = this.statements.selectMetrics.all(id);
    if (rows.length === 0) this.mustGetStatus(id);
    return rows.map((row) => JSON.parse(row.data) as EpochMetrics);
  }

  async close(): Promise<void> {
    if (!this.db.open) return;
    // Held progress snapshots would otherwise never reach the event log.
    const events = this.db
      .transaction(() => {
        const written: OperationEvent[] = [];
        for (const id of this.throttle.operationsWithHeldProgress()) {
          const held = this.throttle.flush(id);
          if (held) written.push(this.insertEvent(id, 'progress', held));
        }
        return written;
      })
      .immediate();
    this.publish(events);
    this.db.close();
  }

  // ---- transitions ---------------------------------------------------------------------------------------------

  private transitionOrThrow(id: string, name: TransitionName, patch: TransitionPatch): Operation {
    return this.finishTransition(id, name, this.transition(id, name, patch));
  }

  private transition(id: string, name: TransitionName, patch: TransitionPatch): TransitionOutcome {
    return this.db.transaction(() => this.applyTransition(id, name, patch)).immediate();
  }

  private finishTransition(id: string, name: TransitionName, outcome: TransitionOutcome): Operation {
    if (!outcome.applied) throw refusal(id, name, outcome.current);
    this.publishTransition(outcome.operation, outcome.events);
    return outcome.operation;
  }

  /**
   * Runs inside a write transaction. The status is read and the rule chosen under the write lock; the update is
   * still guarded by the expected status, so a wrong choice can only fail, never overwrite.
   */
  private applyTransition(id: string, name: TransitionName, patch: TransitionPatch): TransitionOutcome {
    const current = this.statements.selectStatus.get(id)?.status ?? null;
    const to = current === null ? null : nextStatus(name, current);
    if (current === null || to === null) return { applied: false, current };
    const time = this.timestamp();
    const terminal = isTerminal(to);
    const changed = this.statements.transition.run({
      id,
      from: JSON.stringify([current]),
      to,
      started_at: to === 'running' ? time : null,
      finished_at: terminal ? time : null,
      cancel_requested_at: name === 'requestCancel' ? time : null,
      // A resumed run starts over as far as cancelling goes: an old request must not cancel the new run. Nor is it
      // where the old run was: a restart before the new run names its place must not follow the old one again.
      resumed: name === 'markResumed' ? 1 : 0,
      execution: patch.execution ? JSON.stringify(patch.execution) : null,
      error: to === 'failed' && patch.error ? JSON.stringify(patch.error) : null,
      result: to === 'completed' && patch.result ? JSON.stringify(patch.result) : null,
    }).changes;
    if (changed === 0) return { applied: false, current };

    const events: OperationEvent[] = [];
    if (terminal) {
      // The last progress snapshot belongs in the log before the run's final status.
      const held = this.throttle.flush(id);
      if (held) events.push(this.insertEvent(id, 'progress', held));
    }
    events.push(this.insertEvent(id, 'status', statusChange(current, to, patch)));
    return { applied: true, operation: this.mustGet(id), events };
  }

  private publishTransition(operation: Operation, events: readonly OperationEvent[]): void {
    this.publish(events);
    if (isTerminal(operation.status)) this.events.publishFinished(operation);
  }

  // ---- helpers -------------------------------------------------------------------------------------------------

  private insertEvent(operationId: string, kind: OperationEventKind, data: unknown): OperationEvent {
    return this.insertEventJson(operationId, kind, JSON.stringify(data));
  }

  private insertEventJson(operationId: string, kind: OperationEventKind, json: string): OperationEvent {
    const time = this.timestamp();
    const { lastInsertRowid } = this.statements.insertEvent.run({ operation_id: operationId, kind, time, data: json });
    // Published events carry what a later read returns (NaN already null), so live and replayed streams agree.
    return toEvent({ seq: Number(lastInsertRowid), operation_id: operationId, kind, time, data: json });
  }

  private publish(events: readonly OperationEvent[]): void {
    for (const event of events) this.events.publishEvent(event);
  }

  private mustGet(id: string): Operation {
    const row = this.statements.selectOperation.get(id);
    if (row === undefined) throw notFound(id);
    return toOperation(row);
  }

  private mustGetStatus(id: string): OperationStatus {
    const row = this.statements.selectStatus.get(id);
    if (row === undefined) throw notFound(id);
    return row.status;
  }

  private throwUnchangeable(id: string, action: string): never {
    const status = this.mustGetStatus(id);
    throw new KtrdrError('OPERATION_FINISHED', `cannot ${action} operation ${id}: it is already ${status}`, {
      details: { id, status },
    });
  }

  private listStatement(sql: string): Database.Statement {
    let statement = this.listStatements.get(sql);
    if (!statement) {
      statement = this.db.prepare(sql);
      this.listStatements.set(sql, statement);
    }
    return statement;
  }

  private timestamp(): string {
    return this.now().toISOString();
  }
}

function checkLimit(limit: number | undefined, fallback: number, max: number): number {
  if (limit === undefined) return fallback;
  if (!Number.isInteger(limit) || limit < 1 || limit > max) {
    throw new KtrdrError('VALIDATION_FAILED', `limit must be an integer from 1 to ${max}, got ${limit}`, {
      details: { limit, max },
    });
  }
  return limit;
}

function isConstraintError(error: unknown, code: string): boolean {
  return error instanceof Database.SqliteError && error.code === code;
}
