import Database from 'better-sqlite3';
import { KtrdrError } from '../../errors.js';

/** Throws STORE_CORRUPT listing the first problems SQLite finds (page numbers, for whoever attempts a recovery). */
export function checkIntegrity(db: Database.Database, path: string): void {
  const rows = db.pragma('quick_check(5)') as { quick_check: string }[];
  const problems = rows.flatMap((row) => row.quick_check.split('\n')).filter((text) => text !== 'ok' && !text.startsWith('***'));
  if (problems.length > 0) throw storeCorrupt(path, 'database disk image is malformed', { sqlite_code: 'SQLITE_CORRUPT', problems });
}

/** SQLite's own verdicts on the file's bytes; a busy or read-only database is another problem and keeps its error. */
export function isCorruptionError(error: unknown): error is InstanceType<typeof Database.SqliteError> {
  return error instanceof Database.SqliteError && (error.code === 'SQLITE_NOTADB' || error.code.startsWith('SQLITE_CORRUPT'));
}

/**
 * The operations history may be all a user has of past runs, so the server never deletes or rewrites a file it
 * cannot read: it stops and says how to start afresh while keeping the file for recovery.
 */
export function storeCorrupt(path: string, reason: string, details: Record<string, unknown>, cause?: unknown): KtrdrError {
  return new KtrdrError('STORE_CORRUPT', `the operations database ${path} cannot be read: ${reason}`, {
    details: { path, ...details },
    // The -wal and -shm files go with it: SQLite would replay a stale -wal into the fresh database.
    hint: `move it aside together with its -wal and -shm files if there are any (e.g. mv ${path} ${path}.bad) and start again: a new, empty database is created; ktrdr never deletes the old one, so past operations can still be recovered from it`,
    cause,
  });
}
