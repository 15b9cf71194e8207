import { availableParallelism } from 'node:os';
import { envInteger, type Environment } from '../../config/environment.js';

/**
 * Local training slots: `KTRDR_LOCAL_CONCURRENCY`, or one less than the cores (one core stays free for the server's
 * event loop), and at least 1. A bad value fails start-up with a message instead of silently meaning something else.
 */
export function localConcurrency(env: Environment = process.env, cores: number = availableParallelism()): number {
  return envInteger(env, 'KTRDR_LOCAL_CONCURRENCY', 1, 256) ?? Math.max(1, cores - 1);
}
