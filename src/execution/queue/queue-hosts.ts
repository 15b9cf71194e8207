import type { Redis } from 'ioredis';
import type { HostView } from '../../contracts/hosts.js';
import { KtrdrError } from '../../errors.js';
import type { Logger } from '../../util/logger.js';
import type { RemoteExecutor } from '../executor.js';
import type { HostCandidate } from '../selection.js';
import { QueueExecutor } from './queue-executor.js';
import { queueOfTarget, QUEUES, queueTarget, type QueueName, type QueueWorkerState } from './queue-protocol.js';
import { readQueueWorkers } from './queue-workers.js';
import { connectChecked } from './redis.js';

export interface QueueHostsOptions {
  readonly redisUrl: string;
  /** The backend's base URL as queue hosts reach it (`KTRDR_PUBLIC_URL`, else the listening address). */
  readonly publicUrl: () => string | undefined;
  readonly logger: Logger;
  /** How often the worker list behind `GET /hosts` is refreshed. @defaultValue 1 s */
  readonly refreshMs?: number;
  readonly pollMs?: number;
}

/**
 * Cluster mode's training hosts: two queues (`training` for CPU hosts, `training-gpu`) instead of a list of URLs.
 * Selection sees each queue as one host whose capacity is the sum of its live workers' slots, so the rules of
 * `selectExecution` hold unchanged: `host` with no live worker falls back to local with the reason recorded, and
 * `require_gpu` without a GPU worker is refused.
 */
export class QueueHosts {
  readonly isEmpty = false;
  private readonly executors = new Map<QueueName, QueueExecutor>();
  private workers: { live: QueueWorkerState[]; stale: QueueWorkerState[] } = { live: [], stale: [] };
  private readonly refresher: NodeJS.Timeout;

  private constructor(
    private readonly redis: Redis,
    private readonly options: QueueHostsOptions,
  ) {
    this.refresher = setInterval(() => void this.refresh().catch(() => undefined), options.refreshMs ?? 1000);
    this.refresher.unref();
  }

  /** Connects and checks Redis (QUEUE_UNAVAILABLE, QUEUE_MISCONFIGURED) before the backend accepts anything. */
  static async connect(options: QueueHostsOptions): Promise<QueueHosts> {
    const redis = await connectChecked(options.redisUrl);
    const hosts = new QueueHosts(redis, options);
    await hosts.refresh();
    return hosts;
  }

  async candidates(): Promise<HostCandidate[]> {
    await this.refresh();
    return Object.values(QUEUES).map((queue) => this.candidateOf(queue));
  }

  executor(target: string): RemoteExecutor {
    const queue = queueOfTarget(target);
    if (queue === undefined) {
      throw new KtrdrError('HOST_UNAVAILABLE', `'${target}' is not a queue of this backend (cluster mode runs on queues only)`, {
        details: { target },
      });
    }
    return this.executorOf(queue);
  }

  /** Nothing to tell a queue: a run's keys expire on their own. */
  async acknowledge(): Promise<void> {}

  /** Queue hosts are never called, so none can be unreachable; a dead one is found by its lease. */
  reportUnreachable(): void {}

  detachDispatched(): string[] {
    return [...this.executors.values()].flatMap((executor) => executor.detachDispatched());
  }

  /** `GET /api/v1/hosts`: every queue host with a heartbeat in the last minutes, with the runs it executes. */
  list(): HostView[] {
    const view = (worker: QueueWorkerState, status: 'healthy' | 'stale'): HostView => ({
      url: `${queueTarget(worker.queues.includes(QUEUES.gpu) ? QUEUES.gpu : QUEUES.cpu)}/${worker.name}`,
      name: worker.name,
      source: 'queue',
      status,
      device: worker.device,
      busy: worker.jobs.length >= worker.capacity,
      active: worker.jobs.length,
      capacity: worker.capacity,
      version: worker.version,
      runs_here: worker.jobs.length,
      current_jobs: worker.jobs,
      last_seen: new Date(worker.last_seen).toISOString(),
      last_checked: new Date(worker.last_seen).toISOString(),
      latency_ms: null,
      error: status === 'stale' ? 'no heartbeat: the host stopped or lost Redis' : null,
    });
    return [...this.workers.live.map((w) => view(w, 'healthy')), ...this.workers.stale.map((w) => view(w, 'stale'))];
  }

  async close(): Promise<void> {
    clearInterval(this.refresher);
    await Promise.all([...this.executors.values()].map((executor) => executor.close()));
    this.redis.disconnect();
  }

  private async refresh(): Promise<void> {
    this.workers = await readQueueWorkers(this.redis);
  }

  private liveOn(queue: QueueName): QueueWorkerState[] {
    return this.workers.live.filter((worker) => worker.queues.includes(queue));
  }

  private candidateOf(queue: QueueName): HostCandidate {
    const workers = this.liveOn(queue);
    const here = this.executors.get(queue)?.capacity();
    const capacity = workers.reduce((sum, w) => sum + w.capacity, 0);
    return {
      url: queueTarget(queue),
      name: `${workers.length} worker(s) on queue ${queue}`,
      status: workers.length > 0 ? 'healthy' : 'unhealthy',
      device: workers[0]?.device ?? null,
      capacity,
      active: workers.reduce((sum, w) => sum + w.jobs.length, 0),
      runningHere: here?.running ?? 0,
      queuedHere: here?.queued ?? 0,
      error: workers.length > 0 ? null : `no live worker on queue ${queue}`,
    };
  }

  private executorOf(queue: QueueName): QueueExecutor {
    let executor = this.executors.get(queue);
    if (executor === undefined) {
      executor = new QueueExecutor({
        queue,
        redis: this.redis,
        redisUrl: this.options.redisUrl,
        workers: () => {
          const workers = this.liveOn(queue);
          return {
            device: workers[0]?.device.name,
            gpu: workers.some((w) => w.device.kind === 'gpu'),
            slots: Math.max(
              1,
              workers.reduce((sum, w) => sum + w.capacity, 0),
            ),
          };
        },
        callbackUrl: (operationId) => {
          const base = this.options.publicUrl();
          return base === undefined ? undefined : `${base}/api/v1/trainings/${encodeURIComponent(operationId)}/result`;
        },
        pollMs: this.options.pollMs,
        logger: this.options.logger,
      });
      this.executors.set(queue, executor);
    }
    return executor;
  }
}
