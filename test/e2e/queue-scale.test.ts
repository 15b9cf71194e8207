import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OperationMetricsSchema, type OperationResponse } from '../../src/contracts/operations.js';
import { StartSweepResponseSchema, SweepSchema } from '../../src/contracts/sweeps.js';
import { HOST_TOKEN, startHostProcess, type HostProcess } from '../helpers/host-process.js';
import { startRedis, type RedisProcess } from '../helpers/redis-server.js';
import { spxStrategy, waitFor } from '../helpers/strategies.js';
import { startTestBackend, startTraining, type TestBackend } from '../helpers/test-backend.js';

const TERMINAL = ['completed', 'failed', 'cancelled'];
const HOST_NAMES = ['qs-a', 'qs-b', 'qs-c'];

/** Every operation ended `completed`, each with its own model version: saved once per run, none twice, none lost. */
async function expectEachSavedOnce(server: TestBackend, strategy: string, done: readonly OperationResponse[]): Promise<number[]> {
  expect(done.map((op) => op.status)).toEqual(done.map(() => 'completed'));
  const versions = done.map((op) => op.result?.model_version);
  expect(versions.every((v) => typeof v === 'number')).toBe(true);
  expect(new Set(versions).size).toBe(done.length);
  const onDisk = (await readdir(join(server.dirs.models, strategy))).filter((name) => /^v\d+$/.test(name));
  expect(onDisk).toHaveLength(done.length);
  return versions as number[];
}

/** The training host named in the saved model's record (model.json): which queue host ran it. */
async function trainedOn(server: TestBackend, strategy: string, version: number): Promise<string | undefined> {
  const model = JSON.parse(await readFile(join(server.dirs.models, strategy, `v${version}`, 'model.json'), 'utf8')) as {
    manifest?: { execution?: { host?: string } };
  };
  return model.manifest?.execution?.host;
}

/** Three real `ktrdr host --queue` processes, one backend, one real redis-server: many runs, and Redis lost mid-way. */
describe('cluster mode at scale: three queue hosts, one backend', () => {
  let redis: RedisProcess;
  let server: TestBackend;
  const hosts: HostProcess[] = [];

  beforeAll(async () => {
    redis = await startRedis();
    server = await startTestBackend(
      {
        q_many: spxStrategy('q_many', { epochs: 2 }),
        q_restart: spxStrategy('q_restart', { epochs: 40, earlyStopping: false }),
        q_sweep: spxStrategy('q_sweep', { epochs: 15, earlyStopping: false }),
      },
      { hosts: { redisUrl: redis.url, token: HOST_TOKEN } },
    );
    hosts.push(...(await Promise.all(HOST_NAMES.map((name) => startHostProcess({ queue: redis.url, name, concurrency: 1 })))));
    await waitFor(async () => {
      const list = (await server.http('GET', '/api/v1/hosts')).body as { data: { source: string; status: string }[] };
      return list.data.filter((h) => h.source === 'queue' && h.status === 'healthy').length === HOST_NAMES.length || undefined;
    }, 'three queue hosts in GET /hosts');
  });
  afterAll(async () => {
    await server?.close();
    for (const host of hosts) await host.kill();
    await redis?.stop();
  }, 120_000);

  it('completes 60 short trainings, each saved exactly once, spread over all three hosts', { timeout: 480_000 }, async () => {
    const ids: string[] = [];
    for (let seed = 1; seed <= 60; seed++) ids.push(await startTraining(server, { strategy_name: 'q_many', seed, execution_mode: 'host' }));
    const done: OperationResponse[] = [];
    for (const id of ids) done.push(await server.waitForStatus(id, TERMINAL, 240_000));
    expect(done.map((op) => op.execution?.host)).toEqual(done.map(() => 'queue:training'));

    const versions = await expectEachSavedOnce(server, 'q_many', done);
    const perHost = new Map<string, number>();
    for (const version of versions) {
      const host = (await trainedOn(server, 'q_many', version)) ?? 'unknown';
      perHost.set(host, (perHost.get(host) ?? 0) + 1);
    }
    console.log(`60 runs per host: ${JSON.stringify(Object.fromEntries(perHost))}`);
    expect([...perHost.keys()].sort()).toEqual(HOST_NAMES);
    for (const host of hosts) expect(host.child.exitCode).toBeNull();
  });

  it('loses nothing when Redis restarts mid-run: every run completes once with all its epochs', { timeout: 300_000 }, async () => {
    const ids: string[] = [];
    for (let seed = 1; seed <= 9; seed++) ids.push(await startTraining(server, { strategy_name: 'q_restart', seed, execution_mode: 'host' }));
    // Restart while runs are training on hosts and others still wait in Redis.
    await waitFor(async () => ((await server.operation(ids[0])).progress?.epoch ?? 0) >= 2 || undefined, 'the first run to train', 120_000);
    const states = await Promise.all(ids.map(async (id) => (await server.operation(id)).status));
    expect(states).toContain('pending');
    await redis.restart();

    const done: OperationResponse[] = [];
    for (const id of ids) done.push(await server.waitForStatus(id, TERMINAL, 240_000));
    await expectEachSavedOnce(server, 'q_restart', done);
    for (const id of ids) {
      const metrics = OperationMetricsSchema.parse((await server.http('GET', `/api/v1/operations/${id}/metrics`)).body);
      expect(metrics.epochs.map((epoch) => epoch.epoch)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    }
    for (const host of hosts) expect(host.child.exitCode).toBeNull();
  });

  it('finishes a sweep on the queue hosts through a Redis restart, every trial saved once', { timeout: 300_000 }, async () => {
    const started = await server.http('POST', '/api/v1/sweeps', {
      json: {
        strategy_name: 'q_sweep',
        params: { 'training.learning_rate': [0.001, 0.01], 'model.hidden_layers': [[4], [6, 4]] },
        seeds: [1, 2],
        max_parallel: 8,
        execution_mode: 'host',
      },
    });
    expect(started.status).toBe(202);
    const { operation_id: id, trainings } = StartSweepResponseSchema.parse(started.body);
    expect(trainings).toBe(8);
    const report = async () => SweepSchema.parse((await server.http('GET', `/api/v1/sweeps/${id}`)).body);
    // Restart once a trial trains on a host and others still wait in Redis.
    await waitFor(
      async () => {
        const children = (await report()).configurations.flatMap((c) => c.trials.map((t) => t.operation_id)).filter((t) => t !== null);
        const states = await Promise.all(children.map(async (child) => (await server.operation(child!)).status));
        return states.includes('running') && states.includes('pending') ? true : undefined;
      },
      'trials running and queued',
      120_000,
    );
    await redis.restart();

    expect(await server.waitForStatus(id, TERMINAL, 240_000)).toMatchObject({ type: 'sweep', status: 'completed' });
    const done = await report();
    expect(done).toMatchObject({ status: 'completed', total: 8, finished: 8 });
    expect(done.configurations.map((c) => c.completed)).toEqual([2, 2, 2, 2]);
    const trials = done.configurations.flatMap((c) => c.trials);
    const children = await Promise.all(trials.map((t) => server.operation(t.operation_id!)));
    expect(children.map((c) => c.execution?.host)).toEqual(children.map(() => 'queue:training'));
    await expectEachSavedOnce(server, 'q_sweep', children);
  });
});
