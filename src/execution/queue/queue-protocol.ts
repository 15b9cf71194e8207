import { z } from 'zod';
import { envMilliseconds, type Environment } from '../../config/environment.js';
import { HostDeviceSchema, type HostEvent, type HostStartRequest } from '../../contracts/host-protocol.js';

/**
 * What the backend and queue hosts share through Redis (cluster mode, `KTRDR_REDIS_URL`). Both sides import these
 * names and schemas, so a change here is a change to both.
 *
 * - A run is a BullMQ job on `training` (CPU workers) or `training-gpu`; its id is the run id (`queueRunId`: the
 *   operation id for an operation's first run, a new one for each resume), and its data is the same
 *   `HostStartRequest` an HTTP host receives: the operation id, the strategy text, data references (symbol,
 *   timeframe, sha256; the host downloads from the backend) and the callback URL the artifact is pushed to over HTTP.
 *   Never data or artifacts themselves. What goes to the backend over HTTP names the operation id; what lives in
 *   Redis names the run id.
 * - While it runs, the host appends the run's events (the host protocol's `started`/`progress`/`log`/`metric`, then
 *   one `end`) to the stream `ktrdr:run:{run id}:events`; the backend relays them exactly as it relays an HTTP
 *   host's.
 * - Cancel: the backend sets `ktrdr:run:{run id}:cancel` (checked by a host before it starts the run) and publishes
 *   the run id on `ktrdr:cancel` (heard by the host running it).
 * - Each host heartbeats its state into the hash `ktrdr:workers`, which `GET /api/v1/hosts` and selection read.
 */

export const QUEUES = { cpu: 'training', gpu: 'training-gpu' } as const;
export type QueueName = (typeof QUEUES)[keyof typeof QUEUES];

/** How a queue is named where an HTTP host's URL would be (operation `execution.host`, remote references). */
export const QUEUE_TARGET_PREFIX = 'queue:';

export function queueTarget(queue: QueueName): string {
  return `${QUEUE_TARGET_PREFIX}${queue}`;
}

export function queueOfTarget(target: string): QueueName | undefined {
  const name = target.startsWith(QUEUE_TARGET_PREFIX) ? target.slice(QUEUE_TARGET_PREFIX.length) : undefined;
  return name === QUEUES.cpu || name === QUEUES.gpu ? name : undefined;
}

export const CANCEL_CHANNEL = 'ktrdr:cancel';
export const WORKERS_KEY = 'ktrdr:workers';

/**
 * The queue's id of one run of an operation: its job id and the name of its Redis keys. `attempt` counts the
 * operation's resumes before this run (0 for its first run, whose id is the operation id). A resumed run needs an id
 * of its own: BullMQ keeps an ended job a while and ignores a second job with its id, and the ended run's stream
 * holds an `end` and its cancel key may be set. BullMQ refuses ':' in custom job ids; operation ids have no '-'.
 */
export function queueRunId(operationId: string, attempt = 0): string {
  return attempt === 0 ? operationId : `${operationId}-resume-${attempt}`;
}

export function eventsKey(runId: string): string {
  return `ktrdr:run:${runId}:events`;
}

export function cancelKey(runId: string): string {
  return `ktrdr:run:${runId}:cancel`;
}

/** Events and cancel marks outlive the run by this much, then Redis drops them. */
export const RUN_KEYS_TTL_SECONDS = 24 * 3600;

/**
 * The lease rules: a host holds a job's lock for 30 s and renews it while the run goes on; a host that stops renewing
 * (killed) has its job found stalled within 10 s and handed to another host, at most 3 times.
 */
export const WORKER_LEASE = { lockDuration: 30_000, stalledInterval: 10_000, maxStalledCount: 3 } as const;

/**
 * The lease a queue host uses: `KTRDR_QUEUE_LOCK_MS` and `KTRDR_QUEUE_STALLED_INTERVAL_MS` shorten it where a dead host
 * must be noticed sooner (tests, a small cluster on a reliable network).
 */
export function workerLease(env: Environment = process.env): { lockDuration: number; stalledInterval: number; maxStalledCount: number } {
  return {
    lockDuration: envMilliseconds(env, 'KTRDR_QUEUE_LOCK_MS') ?? WORKER_LEASE.lockDuration,
    stalledInterval: envMilliseconds(env, 'KTRDR_QUEUE_STALLED_INTERVAL_MS') ?? WORKER_LEASE.stalledInterval,
    maxStalledCount: WORKER_LEASE.maxStalledCount,
  };
}

/** A heartbeat older than this means the host is gone (it beats every 2 s). */
export const WORKER_STALE_AFTER_MS = 10_000;
export const WORKER_HEARTBEAT_MS = 2_000;

export type QueueJobData = HostStartRequest;

/** One host as it describes itself in `ktrdr:workers`. */
export const QueueWorkerStateSchema = z.object({
  id: z.string(),
  name: z.string(),
  queues: z.array(z.string()),
  device: HostDeviceSchema,
  capacity: z.number().int().positive(),
  /** Operation ids of the runs it executes now. */
  jobs: z.array(z.string()),
  version: z.string(),
  /** Epoch ms of the last heartbeat. */
  last_seen: z.number(),
});
export type QueueWorkerState = z.infer<typeof QueueWorkerStateSchema>;

/** The last event of a run on its stream: how it ended on the host. */
export const RunEndSchema = z.object({
  status: z.enum(['completed', 'failed', 'cancelled']),
  /** Whether the run reached a thread (false: cancelled before it started). */
  started: z.boolean(),
  error: z.object({ code: z.string(), message: z.string() }).nullable(),
  result_pushed: z.boolean().nullable(),
});
export type RunEnd = z.infer<typeof RunEndSchema>;

/** A stream entry: a host event (its `kind` and JSON `data`) or the run's `end`. */
export type StreamEvent =
  { readonly kind: HostEvent['kind']; readonly data: Record<string, unknown> } | { readonly kind: 'end'; readonly data: RunEnd };

export function streamFields(event: StreamEvent): string[] {
  return ['kind', event.kind, 'data', JSON.stringify(event.data)];
}

export function parseStreamFields(fields: readonly string[]): StreamEvent | undefined {
  const map = new Map<string, string>();
  for (let i = 0; i + 1 < fields.length; i += 2) map.set(fields[i], fields[i + 1]);
  const kind = map.get('kind');
  const raw = map.get('data');
  if (kind === undefined || raw === undefined) return undefined;
  const data: unknown = JSON.parse(raw);
  if (kind === 'end') return { kind, data: RunEndSchema.parse(data) };
  if (kind === 'started' || kind === 'progress' || kind === 'log' || kind === 'metric') return { kind, data: data as Record<string, unknown> };
  return undefined;
}
