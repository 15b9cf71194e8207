import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';

/**
 * Lowers the scheduling priority of the calling thread (Linux: nice is per thread, and `/proc/thread-self` names the
 * thread's id). Training is background work: when cores are short, the server's event loop should get the CPU first,
 * so API latency does not depend on how many runs train. Elsewhere this is a no-op. Returns whether it applied.
 */
export function lowerThreadPriority(nice: number): boolean {
  if (process.platform !== 'linux' || nice <= 0) return false;
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    if (!Number.isInteger(tid) || tid <= 0) return false;
    setPriority(tid, Math.min(19, nice));
    return true;
  } catch {
    return false;
  }
}
