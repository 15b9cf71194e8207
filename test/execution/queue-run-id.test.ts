import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RemoteRunRef, RunObserver } from '../../src/execution/executor.js';
import { QueueExecutor } from '../../src/execution/queue/queue-executor.js';
import {
  cancelKey,
  eventsKey,
  QUEUES,
  queueRunId,
  RUN_KEYS_TTL_SECONDS,
  streamFields,
  type QueueJobData,
  type RunEnd,
  type StreamEvent,
} from '../../src/execution/queue/queue-protocol.js';
import { openRedis, queueConnection } from '../../src/execution/queue/redis.js';
import { silentLogger } from '../../src/util/logger.js';
import { startRedis, type RedisProcess } from '../helpers/redis-server.js';
import { waitFor } from '../helpers/strategies.js';

const OPERATION = 'op_training_20260101_000000_0badcafe';

/** What a queue host writes on a run's stream. */
async function append(redis: Redis, runId: string, events: readonly StreamEvent[]): Promise<void> {
  for (const event of events) await redis.xadd(eventsKey(runId), '*', ...streamFields(event));
  await redis.expire(eventsKey(runId), RUN_KEYS_TTL_SECONDS);
}

function end(status: RunEnd['status'], error: RunEnd['error'] = null): StreamEvent {
  return { kind: 'end', data: { status, started: true, error, result_pushed: null } };
}

function metric(epoch: number): StreamEvent {
  return { kind: 'metric', data: { epoch, train_loss: 0.5 } };
}

/** An observer that keeps the epochs relayed and the remote references reported. */
function recording(): { observer: RunObserver; epochs: number[]; refs: RemoteRunRef[] } {
  const epochs: number[] = [];
  const refs: RemoteRunRef[] = [];
  return { observer: { onEpochs: (records) => epochs.push(...records.map((r) => r.epoch)), onRemote: (ref) => refs.push(ref) }, epochs, refs };
}

/** Real redis-server; no queue host, so jobs wait in the queue and this test writes the runs' streams itself. */
describe('queue run ids: each attempt of an operation is its own job and stream', () => {
  let server: RedisProcess;
  let redis: Redis;
  let queue: Queue<QueueJobData>;
  const executors: QueueExecutor[] = [];
  const executor = (): QueueExecutor => {
    const created = new QueueExecutor({
      queue: QUEUES.cpu,
      redis,
      redisUrl: server.url,
      workers: () => ({ device: 'cpu', gpu: false, slots: 1 }),
      callbackUrl: () => 'http://127.0.0.1:9/unused',
      pollMs: 20,
      logger: silentLogger(),
    });
    executors.push(created);
    return created;
  };
  const job = (attempt?: number) => ({ operationId: OPERATION, strategyYaml: 'name: x\n', strategySource: 'test', data: [], attempt });

  beforeAll(async () => {
    server = await startRedis();
    redis = openRedis(server.url);
    queue = new Queue<QueueJobData>(QUEUES.cpu, { connection: queueConnection(server.url) });
  });
  afterAll(async () => {
    for (const created of executors) await created.close();
    await queue?.close();
    redis?.disconnect();
    await server?.stop();
  });

  it('names the first run by the operation id and each resume by a new id BullMQ accepts', async () => {
    expect(queueRunId(OPERATION)).toBe(OPERATION);
    expect(queueRunId(OPERATION, 0)).toBe(OPERATION);
    const ids = [1, 2, 3].map((attempt) => queueRunId(OPERATION, attempt));
    expect(new Set([OPERATION, ...ids]).size).toBe(4);
    for (const id of ids) {
      expect(id.startsWith(OPERATION)).toBe(true);
      expect(id).not.toContain(':');
      expect(eventsKey(id)).not.toBe(eventsKey(OPERATION));
      expect(cancelKey(id)).not.toBe(cancelKey(OPERATION));
    }
    // BullMQ refuses some custom ids (integers, ':'); these it takes, each as a job of its own.
    for (const id of ids) await queue.add('probe', {} as QueueJobData, { jobId: id });
    for (const id of ids) expect((await queue.getJob(id))?.id).toBe(id);
    for (const id of ids) await (await queue.getJob(id))?.remove();
  });

  it("follows a resumed run's own stream, never the ended first run's `end` or its cancel mark", async () => {
    const first = queueRunId(OPERATION);
    const resumed = queueRunId(OPERATION, 1);
    // What a cancelled first run leaves behind: its ended job, its stream ending `cancelled`, its cancel mark.
    await append(redis, first, [{ kind: 'started', data: { device: 'cpu' } }, metric(1), metric(2), end('cancelled')]);
    await redis.set(cancelKey(first), '1', 'EX', RUN_KEYS_TTL_SECONDS);

    const { observer, epochs, refs } = recording();
    const handle = executor().submit(job(1), observer);
    const enqueued = await waitFor(async () => (await queue.getJob(resumed)) ?? undefined, 'the resumed run on the queue');
    expect(enqueued.data.operation_id).toBe(OPERATION);
    expect(refs[0]).toEqual({ host_url: 'queue:training', run_id: resumed, cursor: 0 });

    await append(redis, resumed, [{ kind: 'started', data: { device: 'cpu' } }, metric(3), metric(4)]);
    await waitFor(async () => (epochs.length === 2 ? true : undefined), 'the resumed run to relay its epochs');
    await append(redis, resumed, [end('failed', { code: 'DATA_NOT_FOUND', message: 'from the resumed run' })]);
    const outcome = await handle.outcome;
    expect(outcome).toEqual({ status: 'failed', error: { code: 'DATA_NOT_FOUND', message: 'from the resumed run' } });
    expect(epochs).toEqual([3, 4]);
    expect(refs.every((ref) => ref.run_id === resumed)).toBe(true);
    await (await queue.getJob(resumed))?.remove();
  });

  it('re-attaches to the run the remote reference names, and cancels that run only', async () => {
    const first = queueRunId(OPERATION);
    const resumed = queueRunId(OPERATION, 2);
    const before = executor();
    const old = recording();
    before.submit(job(2), old.observer);
    await waitFor(async () => (await queue.getJob(resumed)) ?? undefined, 'the run on the queue');
    await append(redis, resumed, [{ kind: 'started', data: { device: 'cpu' } }, metric(5)]);
    await waitFor(async () => (old.refs.some((ref) => ref.cursor === 2) ? true : undefined), 'the cursor past the first events');
    // A backend restart: this process stops following, the next one attaches with the stored reference.
    expect(before.detachDispatched()).toEqual([OPERATION]);
    const ref = old.refs.at(-1)!;

    const { observer, epochs } = recording();
    const handle = executor().attach(
      { operationId: OPERATION, runId: ref.run_id, cursor: ref.cursor, started: true, cancelRequested: false },
      observer,
    );
    await append(redis, resumed, [metric(6)]);
    await waitFor(async () => (epochs.length === 1 ? true : undefined), 'the epoch after the restart');
    expect(epochs).toEqual([6]);

    await redis.del(cancelKey(first));
    handle.cancel();
    // Nobody took the job: cancelling removes it from the queue, and marks this run, not the operation's first.
    expect(await handle.outcome).toEqual({ status: 'cancelled', started: false });
    expect(await redis.exists(cancelKey(resumed))).toBe(1);
    expect(await redis.exists(cancelKey(first))).toBe(0);
    expect(await queue.getJob(resumed)).toBeUndefined();
  });
});
