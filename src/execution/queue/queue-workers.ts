import type { Redis } from 'ioredis';
import { QueueWorkerStateSchema, WORKER_STALE_AFTER_MS, WORKERS_KEY, type QueueWorkerState } from './queue-protocol.js';

/**
 * The queue hosts as their heartbeats in `ktrdr:workers` describe them. A host that stopped beating (killed) is
 * stale after `WORKER_STALE_AFTER_MS` and dropped from the hash a while later by whoever reads it.
 */
export async function readQueueWorkers(redis: Redis, now: number = Date.now()): Promise<{ live: QueueWorkerState[]; stale: QueueWorkerState[] }> {
  const raw = await redis.hgetall(WORKERS_KEY);
  const live: QueueWorkerState[] = [];
  const stale: QueueWorkerState[] = [];
  const forget: string[] = [];
  for (const [id, text] of Object.entries(raw)) {
    const parsed = safeParse(text);
    if (parsed === undefined) {
      forget.push(id);
      continue;
    }
    const age = now - parsed.last_seen;
    if (age <= WORKER_STALE_AFTER_MS) live.push(parsed);
    else if (age <= 10 * WORKER_STALE_AFTER_MS) stale.push(parsed);
    else forget.push(id);
  }
  if (forget.length > 0) await redis.hdel(WORKERS_KEY, ...forget);
  const byName = (a: QueueWorkerState, b: QueueWorkerState) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id);
  return { live: live.sort(byName), stale: stale.sort(byName) };
}

function safeParse(text: string): QueueWorkerState | undefined {
  try {
    const result = QueueWorkerStateSchema.safeParse(JSON.parse(text));
    return result.success ? result.data : undefined;
  } catch {
    return undefined;
  }
}
