import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../util/logger.js';

export interface PushOptions {
  readonly url: string;
  /** The gzip-compressed artifact JSON, sent as is with `Content-Encoding: gzip`. */
  readonly body: Buffer;
  readonly token?: string;
  /** Waits between attempts, in ms; one more attempt than delays. */
  readonly delaysMs: readonly number[];
  /** One attempt (connect to response) taking longer than this counts as failed, in ms. */
  readonly attemptTimeoutMs: number;
  /** Aborting gives up at once (the host is shutting down). */
  readonly signal: AbortSignal;
  readonly logger: Logger;
}

/** 1 s, 2 s, 4 s, 8 s: five attempts over about 15 s, then the result waits for the backend to pull it. */
export const DEFAULT_PUSH_DELAYS_MS: readonly number[] = [1000, 2000, 4000, 8000];
export const DEFAULT_PUSH_TIMEOUT_MS = 30_000;

/**
 * POSTs a finished run's artifact to the backend, retrying with backoff. Any 2xx counts as delivered: the backend
 * saves a result once per operation id, so a repeat after a lost answer is harmless. Returns whether it got through.
 * Client errors other than 408 and 429 are not retried; the same request would be refused the same way.
 */
export async function pushResult(options: PushOptions): Promise<boolean> {
  const { logger } = options;
  const attempts = options.delaysMs.length + 1;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    if (options.signal.aborted) return false;
    const outcome = await attemptPush(options);
    if (outcome === 'delivered') {
      logger.info({ url: options.url, attempt }, `result pushed to ${options.url} (attempt ${attempt})`);
      return true;
    }
    const last = attempt === attempts || outcome.retry === false;
    logger.warn(
      { url: options.url, attempt, reason: outcome.reason },
      `pushing the result to ${options.url} failed (attempt ${attempt}/${attempts}): ${outcome.reason}${last ? '; keeping it for the backend to pull' : ''}`,
    );
    if (last) return false;
    try {
      await sleep(options.delaysMs[attempt - 1], undefined, { signal: options.signal });
    } catch {
      return false;
    }
  }
  return false;
}

async function attemptPush(options: PushOptions): Promise<'delivered' | { reason: string; retry: boolean }> {
  try {
    const response = await fetch(options.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'content-encoding': 'gzip',
        ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
      },
      body: options.body,
      signal: AbortSignal.any([options.signal, AbortSignal.timeout(options.attemptTimeoutMs)]),
    });
    await response.body?.cancel().catch(() => undefined);
    if (response.ok) return 'delivered';
    const retry = response.status >= 500 || response.status === 408 || response.status === 429;
    return { reason: `HTTP ${response.status}`, retry };
  } catch (error) {
    const cause = (error as { cause?: unknown }).cause;
    const reason = error instanceof Error ? `${error.message}${cause instanceof Error ? ` (${cause.message})` : ''}` : String(error);
    return { reason, retry: true };
  }
}
