import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { acquireHomeLock } from '../../src/api/home-lock.js';
import { KtrdrError } from '../../src/errors.js';

describe(acquireHomeLock.name, () => {
  let home: string;
  beforeEach(async () => {
    home = await mkdtemp(join(tmpdir(), 'ktrdr-lock-'));
  });
  afterEach(async () => rm(home, { recursive: true, force: true }));

  it('should let one server hold a home and refuse a second until it is released', async () => {
    const release = acquireHomeLock(home);
    expect((await readFile(join(home, 'server.pid'), 'utf8')).trim()).toBe(String(process.pid));
    expect(() => acquireHomeLock(home)).toThrow(KtrdrError);
    try {
      acquireHomeLock(home);
    } catch (error) {
      expect((error as KtrdrError).code).toBe('HOME_LOCKED');
      expect((error as KtrdrError).message).toContain(String(process.pid));
    }
    release();
    acquireHomeLock(home)();
  });

  it('should take over the lock of a process that no longer exists (a crash)', async () => {
    const gone = spawnSync(process.execPath, ['-e', 'process.pid']).pid;
    await writeFile(join(home, 'server.pid'), `${gone}\n`);
    const release = acquireHomeLock(home);
    expect((await readFile(join(home, 'server.pid'), 'utf8')).trim()).toBe(String(process.pid));
    release();
  });
});
