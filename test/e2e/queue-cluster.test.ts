import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBackend } from '../../src/api/backend.js';
import { HostListSchema, type HostView } from '../../src/contracts/hosts.js';
import { OperationMetricsSchema } from '../../src/contracts/operations.js';
import { KtrdrError } from '../../src/errors.js';
import { HOST_TOKEN, startHostProcess, type HostProcess } from '../helpers/host-process.js';
import { startRedis, type RedisProcess } from '../helpers/redis-server.js';
import { DATA_DIR, spxStrategy, tempDirs, waitFor } from '../helpers/strategies.js';
import { errorCode, startTestBackend, startTraining, type TestBackend } from '../helpers/test-backend.js';

const TERMINAL = ['completed', 'failed', 'cancelled'];
/** A few seconds of training: long enough to kill its host after a checkpoint reached the backend. */
const MEDIUM_EPOCHS = 1000;
/** A dead host's job is found stalled within seconds here (30 s lock / 10 s checks in production). */
const SHORT_LEASE = { KTRDR_QUEUE_LOCK_MS: '2000', KTRDR_QUEUE_STALLED_INTERVAL_MS: '500' };

async function weightsSha(server: TestBackend, strategy: string, version: number): Promise<string> {
  const bytes = await readFile(join(server.dirs.models, strategy, `v${version}`, 'weights.bin'));
  return createHash('sha256').update(bytes).digest('hex');
}

async function queueHosts(server: TestBackend): Promise<HostView[]> {
  return HostListSchema.parse((await server.http('GET', '/api/v1/hosts')).body).data.filter((host) => host.source === 'queue');
}

/** Epochs the backend holds a checkpoint of for the operation, newest first. */
async function checkpointEpochs(server: TestBackend, id: string): Promise<number[]> {
  const names = await readdir(join(server.dirs.home, 'checkpoints', id)).catch(() => []);
  return names
    .map((name) => /^epoch-(\d+)\.ckpt$/.exec(name))
    .filter((match) => match !== null)
    .map((match) => Number(match[1]))
    .sort((a, b) => b - a);
}

async function epochsOf(server: TestBackend, id: string): Promise<number[]> {
  const metrics = OperationMetricsSchema.parse((await server.http('GET', `/api/v1/operations/${id}/metrics`)).body);
  return metrics.epochs.map((epoch) => epoch.epoch);
}

/** Real redis-server, real `ktrdr host --queue` processes, and the real backend with KTRDR_REDIS_URL. */
describe('cluster mode: training hosts pulling from a BullMQ queue on Redis', () => {
  let redis: RedisProcess;
  let server: TestBackend;
  const hosts: HostProcess[] = [];
  const byName = new Map<string, HostProcess>();
  const startQueueHost = async (name: string): Promise<HostProcess> => {
    const host = await startHostProcess({ queue: redis.url, name, concurrency: 1, env: SHORT_LEASE });
    hosts.push(host);
    byName.set(name, host);
    return host;
  };

  beforeAll(async () => {
    redis = await startRedis();
    server = await startTestBackend(
      {
        q_tiny: spxStrategy('q_tiny', { epochs: 6 }),
        // A checkpoint every five epochs: a job handed to another host continues from the newest one the backend holds.
        q_medium: spxStrategy('q_medium', { epochs: MEDIUM_EPOCHS, earlyStopping: false }).replace(
          '  batch_size: 32\n',
          '  batch_size: 32\n  checkpoint: {every_epochs: 5, every_seconds: 300}\n',
        ),
        q_long: spxStrategy('q_long', { epochs: 50_000, earlyStopping: false }),
      },
      { hosts: { redisUrl: redis.url, token: HOST_TOKEN } },
    );
  });
  afterAll(async () => {
    await server?.close();
    for (const host of hosts) await host.kill();
    await redis?.stop();
  });

  it('trains on a queue host exactly as locally, and lists the host with its device and job', async () => {
    await startQueueHost('qh-one');
    const listed = await waitFor(async () => {
      const views = await queueHosts(server);
      return views.length === 1 ? views : undefined;
    }, 'the queue host to show in GET /hosts');
    expect(listed[0]).toMatchObject({ name: 'qh-one', source: 'queue', status: 'healthy', capacity: 1, device: { kind: 'cpu' } });

    const local = await startTraining(server, { strategy_name: 'q_tiny', seed: 9, execution_mode: 'local' });
    expect(await server.waitForStatus(local, TERMINAL)).toMatchObject({ status: 'completed' });
    const remote = await startTraining(server, { strategy_name: 'q_tiny', seed: 9, execution_mode: 'host' });
    const done = await server.waitForStatus(remote, TERMINAL);
    expect(done).toMatchObject({ status: 'completed', execution: { selected: 'host', host: 'queue:training' }, result: { model_version: 2 } });
    expect(await weightsSha(server, 'q_tiny', 2)).toBe(await weightsSha(server, 'q_tiny', 1));
    expect(await epochsOf(server, remote)).toEqual(await epochsOf(server, local));
  });

  it('cancels a queued and an active job within a second, and neither is retried', async () => {
    const active = await startTraining(server, { strategy_name: 'q_long', execution_mode: 'host' });
    await server.waitForStatus(active, ['running']);
    await waitFor(async () => ((await queueHosts(server))[0]?.current_jobs?.includes(active) === true ? true : undefined), 'the job on the host');
    // The only host is busy: this one waits in Redis.
    const queued = await startTraining(server, { strategy_name: 'q_long', execution_mode: 'host' });
    expect((await server.operation(queued)).status).toBe('pending');

    let asked = performance.now();
    expect((await server.http('DELETE', `/api/v1/operations/${queued}`)).status).toBe(202);
    const queuedDone = await server.waitForStatus(queued, TERMINAL);
    const queuedMs = performance.now() - asked;
    expect(queuedDone).toMatchObject({ status: 'cancelled', started_at: null });

    asked = performance.now();
    expect((await server.http('DELETE', `/api/v1/operations/${active}`)).status).toBe(202);
    expect(await server.waitForStatus(active, TERMINAL)).toMatchObject({ status: 'cancelled' });
    const activeMs = performance.now() - asked;
    // Reported rather than asserted tightly (a loaded machine); the bound catches a cancel that waits for a lease.
    expect(queuedMs).toBeLessThan(5_000);
    expect(activeMs).toBeLessThan(5_000);
    console.log(`cancel latency: queued ${queuedMs.toFixed(0)} ms, active ${activeMs.toFixed(0)} ms`);

    // Never retried: the host takes the next job, not these again.
    const next = await startTraining(server, { strategy_name: 'q_tiny', execution_mode: 'host' });
    expect(await server.waitForStatus(next, TERMINAL)).toMatchObject({ status: 'completed' });
    expect(await server.operation(active)).toMatchObject({ status: 'cancelled' });
    expect(await server.operation(queued)).toMatchObject({ status: 'cancelled' });
  });

  it('hands the job of a host killed mid-run to another host, which resumes from its checkpoint: same weights', { timeout: 240_000 }, async () => {
    await startQueueHost('qh-two');
    await waitFor(async () => ((await queueHosts(server)).filter((h) => h.status === 'healthy').length === 2 ? true : undefined), 'two queue hosts');
    const local = await startTraining(server, { strategy_name: 'q_medium', seed: 4, execution_mode: 'local' });
    expect(await server.waitForStatus(local, TERMINAL, 120_000)).toMatchObject({ status: 'completed' });
    const localVersion = (await server.operation(local)).result?.model_version;

    const remote = await startTraining(server, { strategy_name: 'q_medium', seed: 4, execution_mode: 'host' });
    await waitFor(async () => ((await server.operation(remote)).progress?.epoch ?? 0) >= 20 || undefined, 'the run to train on a queue host');
    // The host's heartbeat names the run a moment after the run's first events.
    const runningOn = await waitFor(
      async () => (await queueHosts(server)).find((h) => h.current_jobs?.includes(remote))?.name,
      'the host to report the run',
    );
    const pushedBeforeKill = await waitFor(async () => (await checkpointEpochs(server, remote))[0], 'a checkpoint pushed to the backend');
    byName.get(runningOn!)!.child.kill('SIGKILL');

    const done = await server.waitForStatus(remote, TERMINAL, 120_000);
    expect(done).toMatchObject({ status: 'completed' });
    const remoteVersion = done.result!.model_version!;
    expect(await weightsSha(server, 'q_medium', remoteVersion)).toBe(await weightsSha(server, 'q_medium', localVersion!));
    const epochs = await epochsOf(server, remote);
    expect(epochs).toEqual(Array.from({ length: MEDIUM_EPOCHS }, (_, i) => i + 1));
    const logs = (await server.http('GET', `/api/v1/operations/${remote}/logs`)).text;
    expect(logs).toContain('Redelivered');
    // The second host continued from the backend's newest checkpoint, not from epoch 1.
    const resumedAt = Number(new RegExp(`Resuming from checkpoint at epoch (\\d+)/${MEDIUM_EPOCHS}`).exec(logs)?.[1]);
    expect(resumedAt).toBeGreaterThanOrEqual(pushedBeforeKill);
  });

  it('falls back to local without a live queue host, and refuses require_gpu without a GPU host', async () => {
    for (const host of hosts) if (host.child.exitCode === null) host.child.kill('SIGTERM');
    await Promise.all(hosts.map((host) => host.exited));
    await waitFor(async () => ((await queueHosts(server)).every((h) => h.status !== 'healthy') ? true : undefined), 'no live queue host');
    const started = await server.http('POST', '/api/v1/trainings/start', { json: { strategy_name: 'q_tiny', execution_mode: 'host' } });
    expect(started.status).toBe(202);
    expect(started.body).toMatchObject({ execution: { selected: 'local', reason: expect.stringContaining('no live worker on queue training') } });
    const gpu = await server.http('POST', '/api/v1/trainings/start', {
      json: { strategy_name: 'q_tiny', execution_mode: 'host', require_gpu: true },
    });
    expect(gpu.status).toBe(503);
    expect(errorCode(gpu)).toBe('HOST_UNAVAILABLE');
  });
});

describe('cluster mode: Redis checked at start-up', () => {
  it('fails with a message naming redis-server when it is not installed (never a silent skip)', async () => {
    await expect(startRedis([], 'redis-server-not-on-this-path')).rejects.toThrow(/redis-server is not installed.*`redis-server` package/);
  });

  it('refuses a Redis that evicts keys, and one that cannot be reached, with their codes', async () => {
    const evicting = await startRedis(['--maxmemory-policy', 'allkeys-lru']);
    const dirs = await tempDirs({});
    const start = (redisUrl: string) =>
      createBackend({
        settings: { dataDir: DATA_DIR, strategiesDir: dirs.strategies, homeDir: dirs.home, modelsDir: dirs.models },
        concurrency: 1,
        hosts: { hosts: [], token: HOST_TOKEN, publicUrl: undefined, defaultMode: 'auto', run: {}, redisUrl },
      });
    try {
      const misconfigured = await start(evicting.url).catch((error: unknown) => error);
      expect(misconfigured).toBeInstanceOf(KtrdrError);
      expect((misconfigured as KtrdrError).code).toBe('QUEUE_MISCONFIGURED');
      await evicting.stop();
      const unreachable = await start(evicting.url).catch((error: unknown) => error);
      expect((unreachable as KtrdrError).code).toBe('QUEUE_UNAVAILABLE');
    } finally {
      await evicting.stop();
      await dirs.remove();
    }
  });
});
