import { randomUUID } from 'node:crypto';
import { UnrecoverableError, WaitingError, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { HostStartRequestSchema, type HostRunStatusBody } from '../contracts/host-protocol.js';
import { isKtrdrError } from '../errors.js';
import {
  CANCEL_CHANNEL,
  cancelKey,
  eventsKey,
  QUEUES,
  RUN_KEYS_TTL_SECONDS,
  streamFields,
  WORKER_HEARTBEAT_MS,
  workerLease,
  WORKERS_KEY,
  type QueueJobData,
  type QueueName,
  type QueueWorkerState,
  type RunEnd,
  type StreamEvent,
} from '../execution/queue/queue-protocol.js';
import { connectChecked, queueConnection } from '../execution/queue/redis.js';
import { redactedUrl } from '../execution/queue/redis-url.js';
import { WakeableSleep } from '../execution/remote/wakeable-sleep.js';
import { silentLogger } from '../util/logger.js';
import { packageVersion } from '../util/package-info.js';
import type { HostRuns } from './host-runs.js';
import { createHostRuns, hostNameOf, type HostServiceOptions } from './host-service.js';

export interface QueueHostOptions extends HostServiceOptions {
  /** `ktrdr host --queue redis://…`. */
  readonly redisUrl: string;
  /**
   * How often a run's events are moved from the host's run log to its Redis stream. Looking costs nothing when there
   * is nothing new (the log is in memory), and a run's `started` waits for it. @defaultValue 25 ms
   */
  readonly relayMs?: number;
}

export interface RunningQueueHost {
  /** This process's id in `ktrdr:workers`. */
  readonly id: string;
  readonly name: string;
  readonly queue: QueueName;
  readonly runs: HostRuns;
  /** Stops taking jobs; runs in progress go back to the queue for another host. */
  close(): Promise<void>;
}

/**
 * A training host without an inbound port: a BullMQ worker that pulls runs from Redis and executes each with the same
 * `HostRuns` (data download by hash, worker-thread pipeline, result push over HTTP) as the HTTP host. Only the front
 * door differs: events go to the run's Redis stream instead of waiting to be polled, and cancels arrive over pub/sub.
 *
 * A GPU host serves `training-gpu`, a CPU host `training`. Its heartbeat in `ktrdr:workers` (device, capacity,
 * current jobs) is what the backend's selection and `GET /hosts` read.
 */
export async function startQueueHost(options: QueueHostOptions): Promise<RunningQueueHost> {
  const logger = options.logger ?? silentLogger();
  const redis = await connectChecked(options.redisUrl);
  const subscriber = redis.duplicate();
  /**
   * The runs this host executes now, by operation id (what the host's runs, the backend and the heartbeat know them
   * by), with their run id (the job id, which names their Redis keys: a resumed run's differs from its first run's).
   */
  const current = new Map<string, { readonly runId: string; readonly sleep: WakeableSleep }>();
  // The relay reads the runs, and the runs call the relay before a push: it reaches them once they exist.
  const relay = new RunRelay(
    redis,
    () => runs,
    (operationId) => current.get(operationId)?.runId ?? operationId,
    options.relayMs ?? 25,
  );
  const { runs, close: closeRuns } = await createHostRuns(options, { beforePush: (operationId) => relay.flush(operationId) });
  const id = randomUUID();
  const name = hostNameOf(options);
  const queue: QueueName = runs.health().device.kind === 'gpu' ? QUEUES.gpu : QUEUES.cpu;
  /** Runs told to stop: their relay looks for the end more often. */
  const cancelling = new Set<string>();
  let closing = false;

  await subscriber.subscribe(CANCEL_CHANNEL);
  subscriber.on('message', (_channel: string, runId: string) => {
    const operationId = [...current].find(([, run]) => run.runId === runId)?.[0];
    if (operationId === undefined) return;
    logger.info({ operation_id: operationId, run_id: runId }, `cancel requested for run ${runId}`);
    cancelling.add(operationId);
    try {
      runs.cancel(operationId);
    } catch (error) {
      // Taken from the queue but not started yet: nothing to stop, and runJob looks at the cancel mark once the run
      // has started. A throw here would escape the Redis client's event and end this host.
      if (!isKtrdrError(error) || error.code !== 'OPERATION_NOT_FOUND') logger.warn({ err: error, operation_id: operationId }, 'cancel failed');
    }
    current.get(operationId)?.sleep.wake();
  });

  const heartbeat = async (): Promise<void> => {
    const health = runs.health();
    const state: QueueWorkerState = {
      id,
      name,
      queues: [queue],
      device: health.device,
      capacity: health.capacity,
      jobs: [...current.keys()],
      version: packageVersion(),
      last_seen: Date.now(),
    };
    await redis.hset(WORKERS_KEY, id, JSON.stringify(state));
  };
  await heartbeat();
  const beating = setInterval(
    () => void heartbeat().catch((error: unknown) => logger.warn({ err: error }, 'queue heartbeat failed')),
    WORKER_HEARTBEAT_MS,
  );

  const connection = queueConnection(options.redisUrl);
  const worker = new Worker<QueueJobData>(
    queue,
    async (job, token) => {
      const operationId = job.data.operation_id;
      const sleep = new WakeableSleep();
      current.set(operationId, { runId: job.id ?? operationId, sleep });
      void heartbeat().catch(() => undefined);
      try {
        return await runJob(job, token, sleep);
      } finally {
        current.delete(operationId);
        cancelling.delete(operationId);
        void heartbeat().catch(() => undefined);
      }
    },
    { connection, concurrency: runs.health().capacity, ...workerLease() },
  );
  worker.on('error', (error) => logger.warn({ err: error }, `queue worker: ${error.message}`));

  async function runJob(job: Job<QueueJobData>, token: string | undefined, sleep: WakeableSleep): Promise<{ result_pushed: true }> {
    const parsed = HostStartRequestSchema.safeParse(job.data);
    const operationId = job.data.operation_id;
    const runId = job.id ?? operationId;
    if (!parsed.success) {
      await relay.end(
        operationId,
        ended('failed', false, { code: 'VALIDATION_FAILED', message: `the job's data is not a run request: ${parsed.error.message}` }),
      );
      throw new UnrecoverableError('VALIDATION_FAILED: the job is not a run request');
    }
    if ((await redis.exists(cancelKey(runId))) === 1) {
      await relay.end(operationId, ended('cancelled', false));
      throw new UnrecoverableError('CANCELLED: cancelled before it started');
    }
    logger.info({ operation_id: operationId, run_id: runId, attempt: job.attemptsStarted }, `took run ${runId} from queue ${queue}`);
    try {
      runs.start(parsed.data);
    } catch (error) {
      const code = isKtrdrError(error) ? error.code : 'INTERNAL';
      await relay.end(operationId, ended('failed', false, { code, message: (error as Error).message }));
      throw new UnrecoverableError(`${code}: ${(error as Error).message}`);
    }
    // A cancel published between the check above and the start was not heard: look once more.
    if ((await redis.exists(cancelKey(runId))) === 1) {
      cancelling.add(operationId);
      runs.cancel(operationId);
    }

    const last = await relay.follow(operationId, sleep, () => cancelling.has(operationId));
    runs.remove(operationId);
    if (last.status === 'cancelled' && closing && (await redis.exists(cancelKey(runId))) === 0) {
      // Not a user's cancel: this host is shutting down. The run goes back to the queue for another host.
      await relay.log(operationId, 'warn', `Host ${name} is shutting down; the run goes back to the queue`);
      await job.moveToWait(token);
      throw new WaitingError();
    }
    const end = ended(last.status, last.device !== null, last.error, last.result_pushed);
    await relay.end(operationId, end);
    if (last.status === 'completed' && last.result_pushed === true) return { result_pushed: true };
    if (last.status === 'completed') throw new UnrecoverableError('MODEL_SAVE_FAILED: the result could not be pushed to the backend');
    if (last.status === 'cancelled') throw new UnrecoverableError('CANCELLED: training cancelled');
    throw new UnrecoverableError(`${last.error?.code ?? 'TRAINING_FAILED'}: ${last.error?.message ?? 'the run failed'}`);
  }

  logger.info(`queue host ${name} pulling from ${queue} at ${redactedUrl(options.redisUrl)} (capacity ${runs.health().capacity})`);
  let closed: Promise<void> | undefined;
  return {
    id,
    name,
    queue,
    runs,
    close: () =>
      (closed ??= (async () => {
        closing = true;
        clearInterval(beating);
        // Cancel the runs first so the processors return; then the worker stops without taking more.
        const stopping = worker.close();
        await closeRuns();
        for (const run of current.values()) run.sleep.wake();
        await stopping;
        connection.disconnect();
        await redis.hdel(WORKERS_KEY, id).catch(() => undefined);
        subscriber.disconnect();
        redis.disconnect();
      })()),
  };
}

/** How often a run told to stop is looked at, so its `cancelled` end reaches the backend soon. */
const CANCELLING_RELAY_MS = 25;

function ended(status: RunEnd['status'], started: boolean, error: RunEnd['error'] = null, resultPushed: boolean | null = null): RunEnd {
  return { status, started, error, result_pushed: resultPushed };
}

type EndedStatus = HostRunStatusBody & { readonly status: RunEnd['status'] };

/** Ended, and a completed run's push is over (pushed or given up). */
function isOver(status: HostRunStatusBody): status is EndedStatus {
  return status.status === 'failed' || status.status === 'cancelled' || (status.status === 'completed' && status.result_pushed !== null);
}

/**
 * Moves a run's events from its host run log to its Redis stream, in order. The follow loop and the flush before a
 * push both move them; one move at a time per run keeps the stream in the log's order and each event on it once.
 * Runs are named by operation id here, as in the run log; `runIdOf` names the stream.
 */
class RunRelay {
  private readonly cursors = new Map<string, number>();
  private readonly moving = new Map<string, Promise<HostRunStatusBody>>();

  constructor(
    private readonly redis: Redis,
    private readonly runsOf: () => HostRuns,
    private readonly runIdOf: (operationId: string) => string,
    private readonly relayMs: number,
  ) {}

  /** Returns the run's last status once it has ended (and, when completed, once its push is over). */
  async follow(operationId: string, sleep: WakeableSleep, cancelled: () => boolean): Promise<EndedStatus> {
    try {
      for (;;) {
        const status = await this.move(operationId);
        if (isOver(status) && status.events.length === 0) return status;
        if (status.events.length === 0) await sleep.sleep(cancelled() ? Math.min(this.relayMs, CANCELLING_RELAY_MS) : this.relayMs);
      }
    } finally {
      this.cursors.delete(operationId);
      this.moving.delete(operationId);
    }
  }

  /** Moves every event the run has logged so far. */
  async flush(operationId: string): Promise<void> {
    while ((await this.move(operationId)).events.length > 0);
  }

  async log(operationId: string, level: 'info' | 'warn', msg: string): Promise<void> {
    await this.append(operationId, [{ kind: 'log', data: { time: Date.now(), level, msg } }]);
  }

  async end(operationId: string, end: RunEnd): Promise<void> {
    await this.append(operationId, [{ kind: 'end', data: end }]);
  }

  /** Moves the next batch of events, after any move of this run in progress. */
  private move(operationId: string): Promise<HostRunStatusBody> {
    const previous = this.moving.get(operationId) ?? Promise.resolve(undefined);
    const next = previous
      .catch(() => undefined)
      .then(async () => {
        const status = this.runsOf().status(operationId, { after: this.cursors.get(operationId) ?? 0, limit: 1000 });
        if (status.events.length > 0) await this.append(operationId, status.events);
        this.cursors.set(operationId, status.next_cursor);
        return status;
      });
    this.moving.set(operationId, next);
    return next;
  }

  private async append(operationId: string, events: readonly StreamEvent[]): Promise<void> {
    const key = eventsKey(this.runIdOf(operationId));
    const batch = this.redis.multi();
    for (const event of events) batch.xadd(key, '*', ...streamFields(event));
    batch.expire(key, RUN_KEYS_TTL_SECONDS);
    await batch.exec();
  }
}
