import { setTimeout as sleep } from 'node:timers/promises';
import { Queue, QueueEvents } from 'bullmq';
import type { Redis } from 'ioredis';
import { KtrdrError } from '../../errors.js';
import type { Logger } from '../../util/logger.js';
import type { AttachRequest, ExecutorCapacity, RemoteExecutor, RemoteRunControl, RunHandle, RunObserver, TrainingJob } from '../executor.js';
import { queueRunId, queueTarget, type QueueJobData, type QueueName } from './queue-protocol.js';
import { QueueRun } from './queue-run.js';
import { queueConnection } from './redis.js';

/** How long closing waits for Redis to acknowledge before dropping the connections. */
const QUEUE_CLOSE_GRACE_MS = 5_000;

export interface QueueExecutorOptions {
  readonly queue: QueueName;
  /** For our own keys (events, cancel marks); BullMQ's queue gets its own connection from the same URL. */
  readonly redis: Redis;
  readonly redisUrl: string;
  /** The queue's workers right now: what `device`, `gpu` and `capacity` report. */
  readonly workers: () => { readonly device: string | undefined; readonly gpu: boolean; readonly slots: number };
  /** Where a host pushes a run's artifact (the backend's result endpoint); undefined when unknown yet. */
  readonly callbackUrl: (operationId: string) => string | undefined;
  readonly pollMs?: number;
  readonly logger: Logger;
}

/**
 * Runs trainings through one BullMQ queue that any number of queue hosts (`ktrdr host --queue`) pull from, behind the
 * same `Executor` port as local threads and HTTP hosts. Nothing waits here: the queue in Redis is the queue, so a
 * backend restart loses no queued run. Each run is followed by a `QueueRun`.
 */
export class QueueExecutor implements RemoteExecutor {
  readonly target = 'host' as const;
  private readonly queue: Queue<QueueJobData>;
  private readonly connection: Redis;
  /** BullMQ's event stream of the queue, read blocking on its own connection: tells a queued run a host took it. */
  private readonly events: QueueEvents;
  private readonly eventsConnection: Redis;
  private readonly runs = new Set<QueueRun>();
  private closed = false;

  constructor(private readonly options: QueueExecutorOptions) {
    this.connection = queueConnection(options.redisUrl);
    this.queue = new Queue<QueueJobData>(options.queue, { connection: this.connection });
    // A Redis restart shows up here as connection errors; BullMQ reconnects by itself, so they are logged, not thrown.
    this.queue.on('error', (error) => options.logger.warn({ err: error, queue: options.queue }, `queue ${options.queue}: ${error.message}`));
    this.eventsConnection = queueConnection(options.redisUrl);
    this.events = new QueueEvents(options.queue, { connection: this.eventsConnection });
    this.events.on('error', (error) => options.logger.warn({ err: error, queue: options.queue }, `queue ${options.queue} events: ${error.message}`));
    this.events.on('active', ({ jobId }) => {
      for (const run of this.runs) if (run.runId === jobId) run.taken();
    });
  }

  get device(): string {
    return this.options.workers().device ?? `queue ${this.options.queue} (no worker connected)`;
  }

  get gpu(): boolean {
    return this.options.workers().gpu;
  }

  submit(job: TrainingJob, observer: RunObserver = {}): RunHandle {
    this.checkOpen(job.operationId);
    const callbackUrl = this.options.callbackUrl(job.operationId);
    if (callbackUrl === undefined) {
      throw new KtrdrError('HOST_UNAVAILABLE', 'queue hosts push results to the backend, whose URL is not known yet', {
        hint: 'set KTRDR_PUBLIC_URL to the URL queue hosts reach this backend at',
      });
    }
    const data: QueueJobData = {
      operation_id: job.operationId,
      strategy_yaml: job.strategyYaml,
      request: { strategy_source: job.strategySource.slice(-500) },
      data: job.data.map(({ symbol, timeframe, sha256 }) => ({ symbol, timeframe, sha256 })),
      callback_url: callbackUrl,
    };
    return this.follow(job.operationId, queueRunId(job.operationId, job.attempt), observer, { job: data });
  }

  /**
   * Follows a run that is on the queue already (this backend restarted while it was queued or running): the run the
   * remote reference names, a resumed run's own job and stream rather than its operation's first.
   */
  attach(request: AttachRequest, observer: RunObserver = {}): RunHandle {
    this.checkOpen(request.operationId);
    const { operationId, runId, cursor, started, cancelRequested } = request;
    return this.follow(operationId, runId ?? queueRunId(operationId), observer, { resume: { cursor, started, cancelRequested } });
  }

  /**
   * This backend's runs on the queue, as many as the workers have slots counted running (they are being taken or
   * trained), the rest queued: the same view as a slot queue's, though the queue itself lives in Redis.
   */
  capacity(): ExecutorCapacity {
    const slots = this.options.workers().slots;
    const running = Math.min(this.runs.size, slots);
    return { slots, running, queued: this.runs.size - running };
  }

  /** Shutdown: stop following every run, leaving it on the queue for the next process. */
  detachDispatched(): string[] {
    const detached: string[] = [];
    for (const run of [...this.runs]) if (this.detachRun(run)) detached.push(run.operationId);
    return detached;
  }

  /**
   * Cancels every run still followed and waits for their ends. A shutdown that keeps runs going calls
   * `detachDispatched` first, so this cancels nothing there: their jobs stay on the queue for the next process.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const runs = [...this.runs];
    for (const run of runs) run.cancel();
    await Promise.all(runs.map((run) => run.outcome));
    await Promise.all(runs.map((run) => run.stopped()));
    // BullMQ's close waits for Redis to answer; a Redis that is gone or restarting must not hold a shutdown forever.
    const closed = Promise.all([this.queue.close(), this.events.close()]).catch(() => undefined);
    await Promise.race([closed, sleep(QUEUE_CLOSE_GRACE_MS, undefined, { ref: false })]);
    this.connection.disconnect();
    this.eventsConnection.disconnect();
  }

  private follow(
    operationId: string,
    runId: string,
    observer: RunObserver,
    what: Pick<ConstructorParameters<typeof QueueRun>[0], 'job' | 'resume'>,
  ): RunHandle {
    const run = new QueueRun({
      redis: this.options.redis,
      queue: this.queue,
      target: queueTarget(this.options.queue),
      operationId,
      runId,
      observer,
      pollMs: this.options.pollMs,
      logger: this.options.logger,
      ...what,
    });
    this.runs.add(run);
    void run.outcome.then(() => this.runs.delete(run));
    run.start();
    const remote: RemoteRunControl = {
      deliverResult: (artifact) => run.deliverResult(artifact),
      detach: () => this.detachRun(run),
      // A lost queue host's job goes to another host; there is no host to come back with it.
      recovered: run.outcome.then(() => null),
    };
    return { outcome: run.outcome, cancel: () => run.cancel(), remote };
  }

  /** A detached run is no longer this process's: its outcome never settles here, and closing leaves it alone. */
  private detachRun(run: QueueRun): boolean {
    if (!run.detach()) return false;
    this.runs.delete(run);
    return true;
  }

  private checkOpen(operationId: string): void {
    if (this.closed)
      throw new KtrdrError('SHUTTING_DOWN', `the executor for queue ${this.options.queue} is closed`, { details: { operation_id: operationId } });
  }
}
