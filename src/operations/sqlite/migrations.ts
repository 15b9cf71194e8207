import type Database from 'better-sqlite3';
import { KtrdrError } from '../../errors.js';

export interface Migration {
  /** 1, 2, 3, ... in order; stored in `PRAGMA user_version` once applied. */
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

/**
 * The schema, as the list of changes that built it. Append new entries; never edit an applied one, since databases
 * in the field already ran it.
 *
 * Status and kind columns deliberately carry no CHECK constraint: SQLite cannot alter a constraint without
 * rebuilding the table, and a later status (say `resuming`) should be an additive change. The TypeScript unions
 * guard the values.
 */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'operations and their events',
    sql: `
      CREATE TABLE operations (
        id TEXT PRIMARY KEY,
        type TEXT NOT NULL,
        strategy TEXT NOT NULL,
        status TEXT NOT NULL,
        request TEXT NOT NULL,
        created_at TEXT NOT NULL,
        started_at TEXT,
        finished_at TEXT,
        cancel_requested_at TEXT,
        progress TEXT,
        execution TEXT NOT NULL,
        error TEXT,
        result TEXT,
        remote TEXT
      ) STRICT;
      CREATE INDEX operations_by_created ON operations (created_at DESC, id DESC);
      CREATE INDEX operations_by_status ON operations (status, created_at DESC, id DESC);
      CREATE INDEX operations_by_strategy ON operations (strategy, created_at DESC, id DESC);

      -- AUTOINCREMENT so a seq is never reused: clients resume streams from the last seq they saw.
      CREATE TABLE operation_events (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        operation_id TEXT NOT NULL REFERENCES operations (id) ON DELETE CASCADE,
        kind TEXT NOT NULL,
        time TEXT NOT NULL,
        -- Metric events only: makes "one record per epoch" a constraint instead of a hope.
        epoch INTEGER,
        data TEXT NOT NULL
      ) STRICT;
      CREATE INDEX operation_events_by_operation ON operation_events (operation_id, seq);
      CREATE UNIQUE INDEX operation_events_one_metric_per_epoch ON operation_events (operation_id, epoch) WHERE kind = 'metric';
    `,
  },
];

/**
 * Brings the schema up to the newest migration, each in its own transaction together with its `user_version`
 * bump, so a crash leaves the database at a whole version. Running it again is a no-op. Returns the version now.
 */
export function migrate(db: Database.Database, migrations: readonly Migration[] = MIGRATIONS): number {
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) throw new Error(`migration '${m.name}' has version ${m.version}, expected ${i + 1}`);
  });
  const latest = migrations.length;
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > latest) {
    throw new KtrdrError('INTERNAL', `operations database is at schema version ${current}, newer than this ktrdr knows (${latest})`, {
      details: { current, latest },
      hint: 'upgrade ktrdr, or point KTRDR_HOME at another directory',
    });
  }
  for (const migration of migrations) {
    if (migration.version <= current) continue;
    db.transaction(() => {
      db.exec(migration.sql);
      db.pragma(`user_version = ${migration.version}`);
    }).immediate();
  }
  return Math.max(current, latest);
}
