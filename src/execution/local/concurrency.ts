import { availableParallelism } from 'node:os';
import { envInteger, type Environment } from '../../config/environment.js';

/**
 * Cores for local training: `KTRDR_LOCAL_CONCURRENCY`, or one less than the cores (one core stays free for the
 * server's event loop), and at least 1. A bad value fails start-up with a message instead of silently meaning something else.
 */
export function localConcurrency(env: Environment = process.env, cores: number = availableParallelism()): number {
  return envInteger(env, 'KTRDR_LOCAL_CONCURRENCY', 1, 256) ?? Math.max(1, cores - 1);
}

/**
 * Cores the local executor grants each training run (`KTRDR_THREADS_PER_RUN`, default 1): a wasm-simd run computes
 * gradients on that many threads. Runs at once are then `concurrency / threadsPerRun`, so runs together never use
 * more cores than `concurrency`. At most `concurrency`.
 */
export function localThreadsPerRun(concurrency: number, env: Environment = process.env): number {
  return envInteger(env, 'KTRDR_THREADS_PER_RUN', 1, concurrency, `an integer from 1 to the local concurrency (${concurrency})`) ?? 1;
}

/** Runs that may train at once when each holds `threadsPerRun` of `concurrency` cores. */
export function runsAtOnce(concurrency: number, threadsPerRun: number): number {
  return Math.max(1, Math.floor(concurrency / threadsPerRun));
}
