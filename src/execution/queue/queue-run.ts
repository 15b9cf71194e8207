import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { HostEvent } from '../../contracts/host-protocol.js';
import { isErrorCode } from '../../errors.js';
import type { OperationError } from '../../operations/operation.js';
import type { ModelArtifact } from '../../training/artifact.js';
import type { Logger } from '../../util/logger.js';
import { notify, type RunObserver, type RunOutcome } from '../executor.js';
import { relayHostEvents } from '../remote/event-relay.js';
import { WakeableSleep } from '../remote/wakeable-sleep.js';
import { cancelKey, CANCEL_CHANNEL, eventsKey, parseStreamFields, RUN_KEYS_TTL_SECONDS, type QueueJobData, type RunEnd } from './queue-protocol.js';

export interface QueueRunOptions {
  readonly redis: Redis;
  readonly queue: Queue<QueueJobData>;
  /** `queue:training`: what the operation's remote reference names. */
  readonly target: string;
  readonly operationId: string;
  /** The run's job id and the name of its Redis keys (`queueRunId`): the remote reference's `run_id`. */
  readonly runId: string;
  readonly observer: RunObserver;
  /** A new run: the job to enqueue. Absent when following a run already queued (after a backend restart). */
  readonly job?: QueueJobData;
  /** Following again after a restart: stream entries up to `cursor` were relayed, `started` was seen. */
  readonly resume?: { readonly cursor: number; readonly started: boolean; readonly cancelRequested: boolean };
  /** How often the run's stream is read while it is quiet (one XRANGE per run each time). @defaultValue 100 ms */
  readonly pollMs?: number;
  readonly logger: Logger;
}

/** Job states in which the job has not reached a host yet, so removing it is the whole cancel. */
const NOT_STARTED_STATES = new Set(['waiting', 'delayed', 'prioritized', 'paused', 'waiting-children']);
const CANCELLING_POLL_MS = 50;
/** A run waiting in the queue reads its stream this often unless woken by `taken` (a missed announcement costs this). */
const QUEUED_POLL_MS = 1_000;
/** How often the job itself is looked at while its stream is quiet (a host killed for good leaves no `end`). */
const JOB_CHECK_EVERY_MS = 2_000;

/**
 * One run on the queue as the backend follows it: enqueues the job, relays its stream of events to the observer in
 * order (the same relay as for an HTTP host, so the operation records the same things), and settles its outcome from
 * the pushed artifact or the stream's `end`. A run handed to another host after its first host died replays from
 * its start or checkpoint: a second `started` is not relayed again, and an epoch already relayed is not either, so
 * the operation's metrics hold each epoch once.
 */
export class QueueRun {
  readonly outcome: Promise<RunOutcome>;
  private settleOutcome!: (outcome: RunOutcome) => void;
  private ended = false;
  private detached = false;
  private cancelRequested = false;
  private takenByHost = false;
  /** The artifact the host pushed; the run completes with it once the stream is drained up to its `end`. */
  private pushed: ModelArtifact | undefined;
  private started: boolean;
  private lastEpoch = 0;
  /** Stream entries read so far, in order: the remote reference's cursor. */
  private consumed = 0;
  /** The cursor a previous process had relayed up to (re-attaching after a restart). */
  private readonly relayedBefore: number;
  private lastEntryId: string | undefined;
  private readonly sleep = new WakeableSleep();
  private loop: Promise<void> = Promise.resolve();
  private enqueued: Promise<void> = Promise.resolve();

  constructor(private readonly options: QueueRunOptions) {
    this.outcome = new Promise((resolve) => (this.settleOutcome = resolve));
    this.started = options.resume?.started ?? false;
    this.relayedBefore = options.resume?.cursor ?? 0;
  }

  get operationId(): string {
    return this.options.operationId;
  }

  get runId(): string {
    return this.options.runId;
  }

  start(): void {
    const { job, operationId, runId, target, observer } = this.options;
    notify(() => observer.onRemote?.({ host_url: target, run_id: runId, cursor: this.relayedBefore }));
    if (job !== undefined) this.enqueued = this.enqueue(job);
    if (this.options.resume?.cancelRequested === true) this.cancel();
    this.loop = this.follow().catch((error: unknown) => {
      this.options.logger.error({ err: error, operation_id: operationId }, `following queued run ${operationId} failed`);
      this.settle({ status: 'failed', error: { code: 'INTERNAL', message: `following the queued run failed: ${(error as Error).message}` } });
    });
  }

  /**
   * The host pushed the artifact over HTTP. It moved all the run's events to the stream before pushing (and writes
   * `end` only once the push is answered, which waits for this run), so the run completes at the next read that finds
   * the stream drained: settling now would drop the last epochs and log lines.
   */
  deliverResult(artifact: ModelArtifact): boolean {
    if (this.ended || this.pushed !== undefined) return false;
    this.pushed = artifact;
    this.sleep.wake();
    return true;
  }

  /** A host has taken the job from the queue (BullMQ's `active`): its events start soon, so read them promptly. */
  taken(): void {
    this.takenByHost = true;
    this.sleep.wake();
  }

  /** Stops following without cancelling (shutdown): the job stays queued or running, the next process follows it. */
  detach(): boolean {
    if (this.ended) return false;
    if (this.pushed !== undefined) {
      // The result is here already and no later process would receive it again: complete rather than detach.
      this.settle({ status: 'completed', artifact: this.pushed });
      return false;
    }
    this.detached = true;
    this.sleep.wake();
    return true;
  }

  cancel(): void {
    if (this.ended || this.cancelRequested) return;
    this.cancelRequested = true;
    void this.requestCancel().catch((error: unknown) =>
      this.options.logger.warn({ err: error, operation_id: this.options.operationId }, `could not send the cancel of ${this.options.operationId}`),
    );
  }

  async stopped(): Promise<void> {
    await this.loop;
  }

  private async enqueue(job: QueueJobData): Promise<void> {
    await this.options.queue.add('train', job, {
      jobId: this.options.runId,
      // A failed run fails for a reason a retry would meet again; a host that dies is handled by stall detection.
      attempts: 1,
      removeOnComplete: { age: RUN_KEYS_TTL_SECONDS },
      removeOnFail: { age: RUN_KEYS_TTL_SECONDS },
    });
  }

  private async requestCancel(): Promise<void> {
    const { redis, queue, runId } = this.options;
    await this.enqueued;
    // The mark first: a host that takes the job from now on sees it before starting the run.
    await redis.set(cancelKey(runId), '1', 'EX', RUN_KEYS_TTL_SECONDS);
    const job = await queue.getJob(runId);
    const state = job === undefined ? undefined : await job.getState();
    if (job !== undefined && state !== undefined && NOT_STARTED_STATES.has(state)) {
      try {
        await job.remove();
        this.settle({ status: 'cancelled', started: false });
        return;
      } catch {
        // Taken by a host in the meantime (a locked job cannot be removed): that host hears the cancel below.
      }
    }
    await redis.publish(CANCEL_CHANNEL, runId);
  }

  private async follow(): Promise<void> {
    await this.enqueued;
    let quietSince = Date.now();
    while (!this.ended && !this.detached) {
      // Taken before reading: a read that started before the push arrived may have missed its last events.
      const pushed = this.pushed;
      const entries = await this.read();
      if (pushed !== undefined && entries.length === 0) {
        this.settle({ status: 'completed', artifact: pushed });
        return;
      }
      if (entries.length > 0) quietSince = Date.now();
      else if (Date.now() - quietSince >= JOB_CHECK_EVERY_MS) {
        quietSince = Date.now();
        await this.checkJob();
      }
      if (!this.ended && !this.detached && entries.length === 0) await this.sleep.sleep(this.pollInterval());
    }
  }

  /**
   * How long to wait before reading the stream again. A run still waiting in the queue has nothing to read until a
   * host takes it, and that is announced (`taken`), so its stream is only looked at now and then: hundreds of queued
   * runs must not poll Redis as often as running ones. While a cancel is on its way the stream is read more often:
   * the `cancelled` end is what the user waits for.
   */
  private pollInterval(): number {
    const pollMs = this.options.pollMs ?? 100;
    if (this.cancelRequested) return Math.min(pollMs, CANCELLING_POLL_MS);
    return this.started || this.takenByHost ? pollMs : Math.max(pollMs, QUEUED_POLL_MS);
  }

  /** Reads the next entries, relays them, and handles an `end`. Returns the entries read. */
  private async read(): Promise<unknown[]> {
    const { redis, runId, observer, target } = this.options;
    const from = this.lastEntryId === undefined ? '-' : `(${this.lastEntryId}`;
    const entries = (await redis.xrange(eventsKey(runId), from, '+', 'COUNT', 500)) as [string, string[]][];
    const batch: HostEvent[] = [];
    let end: RunEnd | undefined;
    for (const [id, fields] of entries) {
      this.lastEntryId = id;
      this.consumed += 1;
      const event = parseStreamFields(fields);
      if (event === undefined) continue;
      if (event.kind === 'end') {
        end = event.data;
        break;
      }
      // Entries up to the restart cursor were relayed by the previous process: only their effect on what follows counts.
      const replayed = this.consumed <= this.relayedBefore;
      if (event.kind === 'started') {
        if (this.started && !replayed) notify(() => observer.onLogs?.([redeliveredLine(event.data.device)]));
        const first = !this.started;
        this.started = true;
        if (!first || replayed) continue;
      }
      if (event.kind === 'metric') {
        const epoch = typeof event.data.epoch === 'number' ? event.data.epoch : 0;
        if (epoch <= this.lastEpoch) continue;
        this.lastEpoch = epoch;
      }
      if (!replayed) batch.push({ seq: this.consumed, kind: event.kind, data: event.data });
    }
    if (batch.length > 0) relayHostEvents(batch, observer);
    if (entries.length > 0) notify(() => observer.onRemote?.({ host_url: target, run_id: runId, cursor: this.consumed }));
    if (end !== undefined) this.finish(end);
    return entries;
  }

  private finish(end: RunEnd): void {
    switch (end.status) {
      case 'completed':
        if (this.pushed !== undefined) {
          this.settle({ status: 'completed', artifact: this.pushed });
          return;
        }
        // The artifact is pushed before `end` is written; without it the push failed for good.
        this.settle({
          status: 'failed',
          error: { code: 'MODEL_SAVE_FAILED', message: 'the queue host completed the run but could not push its result to this backend' },
        });
        return;
      case 'cancelled':
        this.settle({ status: 'cancelled', started: end.started });
        return;
      case 'failed':
        this.settle({ status: 'failed', error: operationErrorOf(end.error) });
        return;
      default: {
        const unknown: never = end.status;
        throw new Error(`unknown run end ${String(unknown)}`);
      }
    }
  }

  /** A quiet stream: is the job still there? BullMQ fails a job that stalled too often (its hosts kept dying). */
  private async checkJob(): Promise<void> {
    const { queue, operationId, runId } = this.options;
    const job = await queue.getJob(runId);
    const state = job === undefined ? undefined : await job.getState();
    if (this.pushed !== undefined && state !== 'active') {
      // Pushed, and no host is on it now but there is no `end` (its host died right after the push): the result is
      // here, so a job handed back to the queue for another host is not run again.
      if (job !== undefined && state !== undefined && NOT_STARTED_STATES.has(state)) await job.remove().catch(() => undefined);
      this.settle({ status: 'completed', artifact: this.pushed });
      return;
    }
    if (job === undefined) {
      if (this.cancelRequested) this.settle({ status: 'cancelled', started: this.started });
      else this.settle({ status: 'failed', error: lost(`the job of ${operationId} is no longer on the queue`) });
      return;
    }
    if (state === 'failed') {
      // A host that ends a run writes `end` before failing the job; give the stream one more read.
      const entries = await this.read();
      if (!this.ended && entries.length === 0) this.settle({ status: 'failed', error: lost(job.failedReason || 'the job failed on the queue') });
    }
  }

  private settle(outcome: RunOutcome): void {
    if (this.ended) return;
    this.ended = true;
    this.sleep.wake();
    this.settleOutcome(outcome);
  }
}

/** A host's error as an operation error; a code this backend does not know becomes TRAINING_FAILED. */
function operationErrorOf(error: RunEnd['error']): OperationError {
  if (error === null) return { code: 'TRAINING_FAILED', message: 'the run failed on its queue host' };
  return { code: isErrorCode(error.code) ? error.code : 'TRAINING_FAILED', message: error.message };
}

function lost(message: string): OperationError {
  return { code: 'HOST_LOST', message };
}

function redeliveredLine(device: unknown): { time: number; level: 'warn'; msg: string } {
  const where = typeof device === 'string' ? device : 'another host';
  return { time: Date.now(), level: 'warn', msg: `Redelivered: the host running this job stopped renewing its lease; continuing on ${where}` };
}
