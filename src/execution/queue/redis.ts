import { Redis } from 'ioredis';
import { KtrdrError } from '../../errors.js';
import { redactedUrl } from './redis-url.js';

/** How long connecting (and the first PING) may take before Redis counts as unreachable. */
const CONNECT_TIMEOUT_MS = 5_000;

/**
 * A connection for BullMQ and our own keys. `maxRetriesPerRequest: null` is what BullMQ needs for blocking
 * commands: a Redis restart makes commands wait for the reconnect instead of failing the run.
 */
export function openRedis(url: string): Redis {
  return quiet(new Redis(url, { maxRetriesPerRequest: null, connectTimeout: CONNECT_TIMEOUT_MS, lazyConnect: true }));
}

/**
 * ioredis reports every failed (re)connect as an `error` event, and an event without a listener is printed to stderr.
 * Connection trouble reaches us as failed or waiting commands, and ioredis reconnects by itself, so the events are
 * only listened to.
 */
function quiet(redis: Redis): Redis {
  redis.on('error', () => undefined);
  return redis;
}

/** A connection handed to BullMQ (a `Queue` or `Worker`), which connects it itself; the caller closes it. */
export function queueConnection(url: string): Redis {
  return quiet(new Redis(url, { maxRetriesPerRequest: null, connectTimeout: CONNECT_TIMEOUT_MS }));
}

/**
 * Connects and checks the server before anything is queued: reachable, and `maxmemory-policy noeviction` (a Redis
 * that evicts keys under memory pressure would silently drop queued runs and their locks).
 */
export async function connectChecked(url: string): Promise<Redis> {
  const redis = openRedis(url);
  try {
    await withTimeout(redis.connect(), `connecting to Redis at ${redactedUrl(url)}`);
    const info = await withTimeout(redis.info('memory'), 'reading Redis memory settings');
    const policy = /^maxmemory_policy:(\S+)/m.exec(info)?.[1];
    if (policy !== undefined && policy !== 'noeviction') {
      throw new KtrdrError('QUEUE_MISCONFIGURED', `Redis at ${redactedUrl(url)} has maxmemory-policy ${policy}; queued runs need noeviction`, {
        details: { maxmemory_policy: policy },
        hint: 'set `maxmemory-policy noeviction` in redis.conf (or `CONFIG SET maxmemory-policy noeviction`)',
      });
    }
    return redis;
  } catch (error) {
    redis.disconnect();
    if (error instanceof KtrdrError) throw error;
    throw new KtrdrError('QUEUE_UNAVAILABLE', `cannot reach Redis at ${redactedUrl(url)}: ${(error as Error).message}`, {
      hint: 'check KTRDR_REDIS_URL / --queue and that redis-server is running',
      cause: error,
    });
  }
}

async function withTimeout<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took longer than ${CONNECT_TIMEOUT_MS} ms`)), CONNECT_TIMEOUT_MS);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
