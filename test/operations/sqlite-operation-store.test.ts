import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SqliteOperationStore } from '../../src/operations/sqlite/sqlite-operation-store.js';
import { MIGRATIONS, migrate } from '../../src/operations/sqlite/migrations.js';
import { trainingInput } from './builders.js';
import { describeOperationStoreConformance, type StoreFixture, type StoreTestOptions } from './operation-store.conformance.js';

function fixtureFor(path: string, cleanup: () => Promise<void>): StoreFixture {
  const opened: SqliteOperationStore[] = [];
  return {
    open(options: StoreTestOptions = {}) {
      const store = new SqliteOperationStore(path, options);
      opened.push(store);
      return store;
    },
    async dispose() {
      for (const store of opened) await store.close();
      await cleanup();
    },
  };
}

describeOperationStoreConformance('SqliteOperationStore (temp file)', {
  persistent: true,
  async setup() {
    const dir = await mkdtemp(join(tmpdir(), 'ktrdr-ops-'));
    // A nested path also checks that the store creates KTRDR_HOME when it is missing.
    return fixtureFor(join(dir, 'home', 'ktrdr.db'), () => rm(dir, { recursive: true, force: true }));
  },
});

describeOperationStoreConformance('SqliteOperationStore (:memory:)', {
  persistent: false,
  async setup() {
    return fixtureFor(':memory:', async () => {});
  },
});

describe(SqliteOperationStore.name, () => {
  let dir: string;
  let path: string;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ktrdr-ops-'));
    path = join(dir, 'ktrdr.db');
  });
  afterEach(async () => {
    vi.restoreAllMocks();
    await rm(dir, { recursive: true, force: true });
  });

  it('should use WAL mode and record the schema version', async () => {
    const sut = new SqliteOperationStore(path);
    const raw = new Database(path, { readonly: true });
    try {
      expect(raw.pragma('journal_mode', { simple: true })).toBe('wal');
      expect(raw.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length);
    } finally {
      raw.close();
      await sut.close();
    }
  });

  it('should serve get and find from statements prepared once, not per call', async () => {
    const sut = new SqliteOperationStore(':memory:');
    const op = await sut.create(trainingInput());
    await sut.list({ status: 'pending' });
    const prepare = vi.spyOn(Database.prototype, 'prepare');
    for (let i = 0; i < 100; i++) {
      await sut.get(op.id);
      await sut.find(op.id);
      await sut.list({ status: 'pending' });
    }
    expect(prepare).not.toHaveBeenCalled();
    await sut.close();
  });
});

describe(migrate.name, () => {
  it('should apply every migration once and do nothing when run again', () => {
    const db = new Database(':memory:');
    expect(migrate(db)).toBe(MIGRATIONS.length);
    expect(migrate(db)).toBe(MIGRATIONS.length);
    expect(db.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length);
    db.close();
  });

  it('should apply only the new migration when one is appended, keeping the data', () => {
    const db = new Database(':memory:');
    migrate(db);
    db.prepare(
      `INSERT INTO operations (id, type, strategy, status, request, created_at, execution) VALUES ('a', 'training', 's', 'pending', '{}', 'x', '{}')`,
    ).run();
    const next = [...MIGRATIONS, { version: MIGRATIONS.length + 1, name: 'add a column', sql: 'ALTER TABLE operations ADD COLUMN note TEXT' }];
    expect(migrate(db, next)).toBe(next.length);
    expect(db.prepare('SELECT id, note FROM operations').all()).toEqual([{ id: 'a', note: null }]);
    expect(migrate(db, next)).toBe(next.length);
    db.close();
  });

  it('should roll back a failing migration whole, leaving the previous version', () => {
    const db = new Database(':memory:');
    migrate(db);
    const broken = [
      ...MIGRATIONS,
      { version: MIGRATIONS.length + 1, name: 'broken', sql: 'CREATE TABLE t (x INTEGER); SELECT * FROM missing_table;' },
    ];
    expect(() => migrate(db, broken)).toThrow(/missing_table/);
    expect(db.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length);
    expect(db.prepare(`SELECT name FROM sqlite_master WHERE name = 't'`).get()).toBeUndefined();
    db.close();
  });

  it('should refuse a database written by a newer ktrdr', () => {
    const db = new Database(':memory:');
    db.pragma(`user_version = ${MIGRATIONS.length + 1}`);
    expect(() => migrate(db)).toThrow(expect.objectContaining({ code: 'INTERNAL', message: expect.stringMatching(/newer/) }));
    db.close();
  });

  it('should refuse a migration list with gaps', () => {
    const db = new Database(':memory:');
    expect(() => migrate(db, [{ version: 2, name: 'skips one', sql: '' }])).toThrow(/expected 1/);
    db.close();
  });
});
