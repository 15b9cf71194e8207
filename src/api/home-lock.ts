import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { KtrdrError } from '../errors.js';
import { isProcessAlive } from '../util/process.js';

const LOCK_FILE = 'server.pid';

/**
 * One server per KTRDR_HOME. A second one would fail the first one's running operations as INTERRUPTED at its
 * start-up and write models alongside it, breaking "single writer". The lock is a pid file: a file left by a process
 * that no longer exists (killed with -9) is taken over, which is what a restart after a crash needs.
 */
export function acquireHomeLock(homeDir: string, pid: number = process.pid): () => void {
  mkdirSync(homeDir, { recursive: true });
  const file = join(homeDir, LOCK_FILE);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(file, `${pid}\n`, { flag: 'wx' });
      return () => {
        if (readPid(file) === pid) rmSync(file, { force: true });
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const holder = readPid(file);
    if (holder !== null && isProcessAlive(holder)) {
      throw new KtrdrError('HOME_LOCKED', `another ktrdr server (pid ${holder}) is using ${homeDir}`, {
        details: { home: homeDir, pid: holder },
        hint: 'stop it first, or set KTRDR_HOME to another directory',
      });
    }
    rmSync(file, { force: true });
  }
  throw new KtrdrError('HOME_LOCKED', `could not lock ${homeDir}: another server is starting at the same time`, {
    details: { home: homeDir },
    hint: 'start one server per KTRDR_HOME; try again once the other one has started or stopped',
  });
}

function readPid(file: string): number | null {
  try {
    const pid = Number(readFileSync(file, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}
