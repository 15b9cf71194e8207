import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventsKey, queueRunId } from '../../src/execution/queue/queue-protocol.js';
import { openRedis } from '../../src/execution/queue/redis.js';
import { OperationLogsSchema, OperationMetricsSchema, type OperationResponse } from '../../src/contracts/operations.js';
import { HOST_TOKEN, startHostProcess, type HostProcess } from '../helpers/host-process.js';
import { startRedis, type RedisProcess } from '../helpers/redis-server.js';
import { spxStrategy, waitFor } from '../helpers/strategies.js';
import { startTestBackend, startTraining, type TestBackend } from '../helpers/test-backend.js';

const TERMINAL = ['completed', 'failed', 'cancelled'];
const EPOCHS = 600;
const ALL_EPOCHS = Array.from({ length: EPOCHS }, (_, i) => i + 1);
/** A few ms per epoch, a checkpoint every five: the queue host pushes one to the backend every few tens of ms. */
const STRATEGY = spxStrategy('q_resume', { epochs: EPOCHS, earlyStopping: false }).replace(
  '  batch_size: 32\n',
  '  batch_size: 32\n  checkpoint: {every_epochs: 5, every_seconds: 300}\n',
);
const TEST_TIMEOUT_MS = 240_000;

/**
 * Real redis-server, a real `ktrdr host --queue` process and the real backend in cluster mode: a queue run cancelled
 * after its first checkpoint is resumed through the API and goes to the queue again, as a job of its own.
 */
describe('cluster mode: resuming a queue run on the queue', () => {
  let redis: RedisProcess;
  let host: HostProcess;
  let server: TestBackend;
  let reference: OperationResponse;

  async function weightsSha256(done: OperationResponse): Promise<string> {
    const bytes = await readFile(join(server.dirs.models, 'q_resume', `v${done.result!.model_version as number}`, 'weights.bin'));
    return createHash('sha256').update(bytes).digest('hex');
  }

  async function epochsRecorded(id: string): Promise<number[]> {
    return OperationMetricsSchema.parse((await server.http('GET', `/api/v1/operations/${id}/metrics`)).body).epochs.map((m) => m.epoch);
  }

  async function historyOf(id: string): Promise<unknown[]> {
    const { epochs } = OperationMetricsSchema.parse((await server.http('GET', `/api/v1/operations/${id}/metrics`)).body);
    return epochs.map(({ epoch, train_loss, train_accuracy, val_loss, val_accuracy }) => ({
      epoch,
      train_loss,
      train_accuracy,
      val_loss,
      val_accuracy,
    }));
  }

  async function logLines(id: string): Promise<string[]> {
    return OperationLogsSchema.parse((await server.http('GET', `/api/v1/operations/${id}/logs`)).body).lines.map((l) => l.msg);
  }

  /** A queue run of the strategy, cancelled once the backend holds a checkpoint of it. */
  async function cancelledAfterCheckpoint(): Promise<string> {
    const id = await startTraining(server, { strategy_name: 'q_resume', seed: 7, execution_mode: 'host' });
    const dir = join(server.dirs.home, 'checkpoints', id);
    await waitFor(
      async () => ((await readdir(dir).catch(() => [])).some((name) => name.endsWith('.ckpt')) ? true : undefined),
      'a pushed checkpoint',
      120_000,
    );
    expect((await server.http('DELETE', `/api/v1/operations/${id}`)).status).toBe(202);
    const cancelled = await server.waitForStatus(id, TERMINAL, 60_000);
    expect(cancelled).toMatchObject({ status: 'cancelled', execution: { selected: 'host', host: 'queue:training' } });
    // Ended before its last epoch: the resume has epochs left to train.
    expect((await epochsRecorded(id)).length).toBeLessThan(EPOCHS);
    return id;
  }

  async function resume(id: string): Promise<OperationResponse> {
    const resumed = await server.http('POST', `/api/v1/operations/${id}/resume`);
    expect(resumed.status).toBe(200);
    expect(resumed.body).toMatchObject({
      status: 'running',
      execution: {
        selected: 'host',
        host: 'queue:training',
        reason: expect.stringMatching(/^resumed through the queue training from the checkpoint at epoch \d+\/600; /),
      },
    });
    return resumed.body as OperationResponse;
  }

  beforeAll(async () => {
    redis = await startRedis();
    host = await startHostProcess({ queue: redis.url, name: 'qr-host', concurrency: 1 });
    server = await startTestBackend({ q_resume: STRATEGY }, { hosts: { redisUrl: redis.url, token: HOST_TOKEN }, autoResume: false });
    // An uninterrupted run with the same seed: what every resumed run must end identical to.
    const id = await startTraining(server, { strategy_name: 'q_resume', seed: 7, execution_mode: 'local' });
    reference = await server.waitForStatus(id, TERMINAL, 120_000);
    expect(reference.status).toBe('completed');
  }, TEST_TIMEOUT_MS);
  afterAll(async () => {
    await server?.close();
    await host?.kill();
    await redis?.stop();
  }, TEST_TIMEOUT_MS);

  it(
    'resumes a cancelled queue run on the queue, bit-identical to an uninterrupted run, each epoch once',
    async () => {
      const id = await cancelledAfterCheckpoint();
      await resume(id);
      const done = await server.waitForStatus(id, TERMINAL, 120_000);
      expect(done).toMatchObject({ status: 'completed', execution: { selected: 'host', host: 'queue:training' } });
      expect(await weightsSha256(done)).toBe(await weightsSha256(reference));
      expect(await epochsRecorded(id)).toEqual(ALL_EPOCHS);
      expect(await historyOf(id)).toEqual(await historyOf(reference.operation_id));
      // As a job of its own, with a stream of its own next to the first run's.
      const redisClient = openRedis(redis.url);
      try {
        expect(await redisClient.exists(eventsKey(id), eventsKey(queueRunId(id, 1)))).toBe(2);
        expect(await redisClient.exists(eventsKey(queueRunId(id, 2)))).toBe(0);
      } finally {
        redisClient.disconnect();
      }
      // Trained on the queue host from the checkpoint it fetched, not from epoch 1 and not here.
      expect((await logLines(id)).some((line) => new RegExp(`^Resuming from checkpoint at epoch \\d+/${EPOCHS}$`).test(line))).toBe(true);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'follows the resumed job, not the first one, after a backend restart during the resumed run',
    async () => {
      const id = await cancelledAfterCheckpoint();
      const resumedAt = (await resume(id)).progress?.epoch ?? 0;
      await waitFor(async () => ((await server.operation(id)).progress?.epoch ?? 0) >= resumedAt + 20 || undefined, 'the resumed run to train');
      // Restarted on the same URL (the one the job pushes its result to), with the same home: the run is re-attached.
      const { dirs, url } = server;
      await server.backend.close();
      server = await startTestBackend(
        {},
        { dirs, port: Number(new URL(url).port), hosts: { redisUrl: redis.url, token: HOST_TOKEN }, autoResume: false },
      );
      // Following the first job's stream would end the operation `cancelled` at once.
      const done = await server.waitForStatus(id, TERMINAL, 120_000);
      expect(done).toMatchObject({ status: 'completed', execution: { selected: 'host', host: 'queue:training' } });
      expect(await weightsSha256(done)).toBe(await weightsSha256(reference));
      expect(await epochsRecorded(id)).toEqual(ALL_EPOCHS);
      expect(await historyOf(id)).toEqual(await historyOf(reference.operation_id));
    },
    TEST_TIMEOUT_MS,
  );
});
