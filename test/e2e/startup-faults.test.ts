import { createServer, type Server } from 'node:net';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SqliteOperationStore } from '../../src/operations/sqlite/sqlite-operation-store.js';
import { runCliProcess } from '../helpers/cli-process.js';

/** What a user must never see from a start-up failure: a raw driver error or a stack trace. */
const RAW = /SqliteError|\n\s+at |node_modules/;

describe('ktrdr serve: start-up failures are explained, not thrown', () => {
  let home: string;
  beforeEach(async () => {
    home = await mkdtemp(join(tmpdir(), 'ktrdr-startup-'));
  });
  afterEach(async () => rm(home, { recursive: true, force: true }));

  async function expectStoreCorrupt(): Promise<void> {
    const db = join(home, 'ktrdr.db');
    const before = await readFile(db);
    const run = await runCliProcess(['serve', '--port', '0'], { KTRDR_HOME: home });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('error [STORE_CORRUPT]');
    expect(run.stderr).toContain(db);
    expect(run.stderr).toMatch(/hint: move it aside.*never deletes/);
    expect(run.stderr).not.toMatch(RAW);
    expect(await readFile(db)).toEqual(before);
    // No lock left behind, and no -wal/-shm created next to the file that could be mistaken for its journal.
    expect(await readdir(home)).toEqual(['ktrdr.db']);
  }

  it('should refuse a ktrdr.db that is not a database, leaving its bytes untouched', async () => {
    await writeFile(join(home, 'ktrdr.db'), Buffer.from('this is not SQLite at all, just some text that happens to be here\n'.repeat(100)));
    await expectStoreCorrupt();
  });

  it('should refuse a real database with damaged pages before anything writes to it', async () => {
    const db = join(home, 'ktrdr.db');
    const store = new SqliteOperationStore(db);
    for (let i = 0; i < 40; i++) await store.create({ type: 'training', strategy: 'demo', request: { padding: 'x'.repeat(500) } });
    await store.close();
    const bytes = await readFile(db);
    bytes.fill(0xab, 3 * 4096); // keep the header and schema pages, break the tables
    await writeFile(db, bytes);
    await expectStoreCorrupt();
  });

  describe('a taken port', () => {
    let blocker: Server;
    afterEach(async () => new Promise<void>((resolve) => blocker.close(() => resolve())));

    it('should be PORT_IN_USE with the option to change', async () => {
      blocker = createServer();
      await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
      const port = (blocker.address() as { port: number }).port;
      const run = await runCliProcess(['serve', '--port', String(port)], { KTRDR_HOME: home });
      expect(run.code).toBe(1);
      expect(run.stderr).toContain(`error [PORT_IN_USE]: cannot listen on 127.0.0.1:${port}`);
      expect(run.stderr).toContain('hint: pick another --port or --host');
      expect(run.stderr).not.toMatch(RAW);
      // The home lock is released on the way out, so the next start is not refused as HOME_LOCKED.
      expect(await readdir(home)).not.toContain('server.pid');
    });
  });
});
