import { availableParallelism } from 'node:os';
import { KtrdrError } from '../../errors.js';

/**
 * Local training slots: `KTRDR_LOCAL_CONCURRENCY`, or one less than the cores (one core stays free for the server's
 * event loop), and at least 1. A bad value fails start-up with a message instead of silently meaning something else.
 */
export function localConcurrency(env: Readonly<Record<string, string | undefined>> = process.env, cores: number = availableParallelism()): number {
  const raw = env.KTRDR_LOCAL_CONCURRENCY?.trim();
  if (!raw) return Math.max(1, cores - 1);
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(value) || value < 1 || value > 256) {
    throw new KtrdrError('VALIDATION_FAILED', `KTRDR_LOCAL_CONCURRENCY must be an integer from 1 to 256, got '${raw}'`, {
      hint: `unset it to use ${Math.max(1, cores - 1)} (cores - 1)`,
    });
  }
  return value;
}
