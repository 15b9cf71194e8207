import type { Logger } from '../util/logger.js';

/** Resolves with the first SIGINT or SIGTERM; the listeners are removed once it has come. */
export function shutdownSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const on = (signal: NodeJS.Signals) => {
      process.off('SIGINT', on);
      process.off('SIGTERM', on);
      resolve(signal);
    };
    process.on('SIGINT', on);
    process.on('SIGTERM', on);
  });
}

/**
 * For a long-running command (`serve`, `host`): waits for SIGINT/SIGTERM and logs it; from then on a second signal
 * means "now" and exits with status 1 instead of waiting for the graceful close the caller starts next.
 */
export async function untilShutdown(logger: Logger): Promise<void> {
  const signal = await shutdownSignal();
  logger.info(`${signal} received: shutting down (running trainings are cancelled)`);
  const force = () => process.exit(1);
  process.once('SIGINT', force);
  process.once('SIGTERM', force);
}
