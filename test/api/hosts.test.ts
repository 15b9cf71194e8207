import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATA_SHA256_HEADER } from '../../src/contracts/data.js';
import { HostListSchema, HostRegisteredSchema } from '../../src/contracts/hosts.js';
import { OperationListSchema } from '../../src/contracts/operations.js';
import {
  StartTrainingResponseSchema,
  TrainingConfigChangeSchema,
  TrainingConfigSchema,
  TrainingResultAcceptedSchema,
} from '../../src/contracts/trainings.js';
import { FileModelStore } from '../../src/models/model-store.js';
import { artifactToJson } from '../../src/training/artifact.js';
import { HOST_TOKEN, startHostProcess, type HostProcess } from '../helpers/host-process.js';
import { DATA_DIR, spxStrategy, waitFor } from '../helpers/strategies.js';
import { errorCode, startTestBackend, startTraining, type TestBackend } from '../helpers/test-backend.js';

const gzipAsync = promisify(gzip);
const TERMINAL = ['completed', 'failed', 'cancelled'];
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

/** A port that accepts connections and never answers: the slowest possible host. */
async function blackHole(): Promise<{ url: string; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => sockets.add(socket));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A port nothing listens on (taken and released). */
async function deadUrl(): Promise<string> {
  const hole = await blackHole();
  await hole.close();
  return hole.url;
}

describe('backend API: training hosts, selection and host endpoints', () => {
  let cpuHost: HostProcess;
  let hole: Awaited<ReturnType<typeof blackHole>>;
  let dead: string;
  let server: TestBackend;

  beforeAll(async () => {
    [cpuHost, hole, dead] = await Promise.all([startHostProcess({ name: 'cpu-box' }), blackHole(), deadUrl()]);
    server = await startTestBackend({ sel_tiny: spxStrategy('sel_tiny') }, { hosts: { hosts: [cpuHost.url, dead, hole.url], token: HOST_TOKEN } });
  });
  afterAll(async () => {
    await server?.close();
    await Promise.all([cpuHost?.kill(), hole?.close()]);
  });

  const operationCount = async () => OperationListSchema.parse((await server.http('GET', '/api/v1/operations')).body).total;

  it('should list configured hosts with health, device, busy state and last seen; dead and silent hosts as unhealthy', async () => {
    const list = await waitFor(async () => {
      const hosts = HostListSchema.parse((await server.http('GET', '/api/v1/hosts')).body);
      return hosts.data.every((host) => host.status !== 'unknown') ? hosts : undefined;
    }, 'the first health checks');
    const byUrl = Object.fromEntries(list.data.map((host) => [host.url, host]));
    expect(byUrl[cpuHost.url]).toMatchObject({
      source: 'configured',
      status: 'healthy',
      device: { kind: 'cpu', name: expect.stringMatching(/^cpu/) },
      busy: false,
      active: 0,
      capacity: 1,
      last_seen: expect.any(String),
      error: null,
    });
    expect(byUrl[dead]).toMatchObject({ status: 'unhealthy', device: null, last_seen: null, error: expect.stringMatching(/ECONNREFUSED/) });
    expect(byUrl[hole.url]).toMatchObject({ status: 'unhealthy', error: expect.stringMatching(/no answer within 1000 ms/) });
  });

  it('should keep a start fast while a host hangs, and fall back to local with the reason recorded', async () => {
    const started = await server.http('POST', '/api/v1/trainings/start', { json: { strategy_name: 'sel_tiny', execution_mode: 'auto' } });
    // Health is re-checked concurrently, each check bounded by 1 s: the hanging host costs one timeout, not a stall.
    expect(started.ms).toBeLessThan(1500);
    const { operation_id: id, execution } = StartTrainingResponseSchema.parse(started.body);
    // auto wants an idle GPU host; a CPU host is not one.
    expect(execution).toMatchObject({
      requested: 'auto',
      selected: 'local',
      reason: expect.stringMatching(/no idle healthy GPU training host .*cpu only/),
    });
    expect((await server.waitForStatus(id, TERMINAL)).status).toBe('completed');
  });

  it('should refuse require_gpu with 503 HOST_UNAVAILABLE when only CPU hosts are healthy, starting nothing', async () => {
    const before = await operationCount();
    for (const mode of ['host', 'auto'] as const) {
      const refused = await server.http('POST', '/api/v1/trainings/start', {
        json: { strategy_name: 'sel_tiny', execution_mode: mode, require_gpu: true },
      });
      expect(refused.status).toBe(503);
      expect(errorCode(refused)).toBe('HOST_UNAVAILABLE');
      expect(refused.text).toContain('no healthy GPU training host');
    }
    expect(await operationCount()).toBe(before);
    expect(HostListSchema.parse((await server.http('GET', '/api/v1/hosts')).body).data.find((h) => h.url === cpuHost.url)?.active).toBe(0);
  });

  it('should change the default execution mode at runtime and apply it to requests without one', async () => {
    expect(TrainingConfigSchema.parse((await server.http('GET', '/api/v1/trainings/config')).body)).toEqual({ default_execution_mode: 'auto' });
    const changed = await server.http('PUT', '/api/v1/trainings/config', { json: { default_execution_mode: 'host' } });
    expect(changed.status).toBe(200);
    expect(TrainingConfigChangeSchema.parse(changed.body)).toEqual({
      current: { default_execution_mode: 'host' },
      previous: { default_execution_mode: 'auto' },
    });
    try {
      const id = await startTraining(server, { strategy_name: 'sel_tiny' });
      const done = await server.waitForStatus(id, TERMINAL);
      expect(done).toMatchObject({
        status: 'completed',
        request: { execution_mode: 'host' },
        execution: { requested: 'host', selected: 'host', host: cpuHost.url },
      });
    } finally {
      await server.http('PUT', '/api/v1/trainings/config', { json: { default_execution_mode: 'auto' } });
    }
    const bad = await server.http('PUT', '/api/v1/trainings/config', { json: { default_execution_mode: 'gpu' } });
    expect(bad.status).toBe(400);
  });

  it('should accept registrations only with the token, and list registered hosts', async () => {
    const registration = { url: 'http://gpu-box.invalid:5002/', name: 'gpu-box' };
    for (const headers of [{}, bearer('wrong'), { authorization: HOST_TOKEN }]) {
      const refused = await server.http('POST', '/api/v1/hosts/register', { json: registration, headers });
      expect(refused.status).toBe(401);
      expect(errorCode(refused)).toBe('UNAUTHORIZED');
    }
    const first = HostRegisteredSchema.parse(
      (await server.http('POST', '/api/v1/hosts/register', { json: registration, headers: bearer(HOST_TOKEN) })).body,
    );
    expect(first).toMatchObject({ created: true, host: { url: 'http://gpu-box.invalid:5002', name: 'gpu-box', source: 'registered' } });
    const again = HostRegisteredSchema.parse(
      (await server.http('POST', '/api/v1/hosts/register', { json: registration, headers: bearer(HOST_TOKEN) })).body,
    );
    expect(again.created).toBe(false);
    const listed = HostListSchema.parse((await server.http('GET', '/api/v1/hosts')).body).data.filter((h) => h.url === 'http://gpu-box.invalid:5002');
    expect(listed).toHaveLength(1);
    expect(listed[0]).toMatchObject({ source: 'registered', last_seen: expect.any(String) });
  });

  it('should serve market data to hosts: token required, gzip, sha256 of the file in a header, names checked', async () => {
    const path = '/api/v1/data/SPX/1d';
    expect((await server.http('GET', path)).status).toBe(401);
    expect((await server.http('GET', path, { headers: bearer('wrong') })).status).toBe(401);
    const response = await fetch(`${server.url}${path}`, { headers: bearer(HOST_TOKEN) });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-encoding')).toBe('gzip');
    const file = await readFile(join(DATA_DIR, 'SPX_1d.csv'));
    const sha256 = createHash('sha256').update(file).digest('hex');
    expect(response.headers.get(DATA_SHA256_HEADER)).toBe(sha256);
    // fetch undoes the content encoding: these are the file's exact bytes.
    expect(Buffer.from(await response.arrayBuffer()).equals(file)).toBe(true);

    expect((await server.http('GET', '/api/v1/data/NOPE/1d', { headers: bearer(HOST_TOKEN) })).status).toBe(404);
    for (const bad of [
      '/api/v1/data/..%2F..%2Fetc/1d',
      '/api/v1/data/SPX/1d%2F..%2F..',
      '/api/v1/data/.hidden/1d',
      '/api/v1/data/SPX%2F..%2FSPX/1d',
    ]) {
      const refused = await server.http('GET', bad, { headers: bearer(HOST_TOKEN) });
      expect(refused.status).toBe(400);
    }
  });

  it('should refuse pushed results without the right token and save nothing', async () => {
    const body = await gzipAsync(Buffer.from('{"not":"checked before auth"}'));
    for (const headers of [{}, bearer('wrong')]) {
      const response = await fetch(`${server.url}/api/v1/trainings/op_x/result`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-encoding': 'gzip', ...headers },
        body,
      });
      expect(response.status).toBe(401);
    }
    const unknown = await fetch(`${server.url}/api/v1/trainings/op_x/result`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-encoding': 'gzip', ...bearer(HOST_TOKEN) },
      body: await gzipAsync(
        Buffer.from(
          JSON.stringify({
            format: 'ktrdr-model/1',
            strategy_name: 'x',
            weights: '',
            manifest: { operation_id: 'op_x', weights_sha256: 'e'.repeat(64) },
          }),
        ),
      ),
    });
    expect(unknown.status).toBe(400);
  });

  it('should answer a repeated push with the version already saved, and refuse an artifact of another operation', async () => {
    const id = await startTraining(server, { strategy_name: 'sel_tiny', execution_mode: 'host', seed: 9 });
    const done = await server.waitForStatus(id, TERMINAL);
    expect(done).toMatchObject({ status: 'completed', execution: { selected: 'host' } });
    const version = done.result!.model_version!;
    const { artifact } = await new FileModelStore(server.dirs.models).load('sel_tiny', version);
    const send = async (json: string) =>
      fetch(`${server.url}/api/v1/trainings/${id}/result`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-encoding': 'gzip', ...bearer(HOST_TOKEN) },
        body: await gzipAsync(Buffer.from(json)),
      });
    const repeat = await send(artifactToJson(artifact));
    expect(repeat.status).toBe(200);
    expect(TrainingResultAcceptedSchema.parse(await repeat.json())).toEqual({
      operation_id: id,
      model_strategy: 'sel_tiny',
      model_version: version,
      created: false,
      recovered: false,
    });
    const models = await new FileModelStore(server.dirs.models).list('sel_tiny');
    expect(models.filter((m) => m.operation_id === id)).toHaveLength(1);

    const foreign = await send(artifactToJson({ ...artifact, manifest: { ...artifact.manifest, operation_id: 'op_someone_else' } }));
    expect(foreign.status).toBe(400);
    const tampered = await send(artifactToJson({ ...artifact, weights: new Uint8Array(artifact.weights.length) }));
    expect(tampered.status).toBe(400);

    // A local run's operation takes no pushes, even with a well-formed artifact of its own.
    const local = await startTraining(server, { strategy_name: 'sel_tiny', execution_mode: 'local' });
    const localDone = await server.waitForStatus(local, TERMINAL);
    const own = (await new FileModelStore(server.dirs.models).load('sel_tiny', localDone.result!.model_version!)).artifact;
    const refused = await fetch(`${server.url}/api/v1/trainings/${local}/result`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-encoding': 'gzip', ...bearer(HOST_TOKEN) },
      body: await gzipAsync(Buffer.from(artifactToJson(own))),
    });
    expect(refused.status).toBe(409);
  });
  it('should list a host that registers itself, and move a run elsewhere when that host dies before it starts', async () => {
    // Two slots: the most free slots wins, so this host is chosen over the other one while it is up.
    const selfRegistered = await startHostProcess({ name: 'self-reg', concurrency: 2, extraArgs: ['--register', '--backend', server.url] });
    try {
      const listed = await waitFor(async () => {
        const hosts = HostListSchema.parse((await server.http('GET', '/api/v1/hosts')).body);
        const host = hosts.data.find((h) => h.url === selfRegistered.url);
        return host?.status === 'healthy' ? host : undefined;
      }, 'the registration');
      expect(listed).toMatchObject({ name: 'self-reg', source: 'registered', device: { kind: 'cpu' }, capacity: 2 });
      // Dies right after a healthy check: the start cannot reach it, and the run is placed again.
      selfRegistered.child.kill('SIGKILL');
      const started = StartTrainingResponseSchema.parse(
        (await server.http('POST', '/api/v1/trainings/start', { json: { strategy_name: 'sel_tiny', execution_mode: 'host' } })).body,
      );
      expect(started.execution).toMatchObject({ selected: 'host', host: selfRegistered.url });
      const done = await server.waitForStatus(started.operation_id, TERMINAL);
      expect(done).toMatchObject({
        status: 'completed',
        execution: {
          selected: 'host',
          host: cpuHost.url,
          reason: expect.stringMatching(/could not be reached to start the run; chose again: host requested: /),
        },
      });
      const after = HostListSchema.parse((await server.http('GET', '/api/v1/hosts')).body).data.find((h) => h.url === selfRegistered.url);
      expect(after?.status).toBe('unhealthy');
    } finally {
      await selfRegistered.kill();
    }
  });
});

describe('backend API: host endpoints without a token', () => {
  it('should refuse host endpoints unless started with --insecure-hosts', async () => {
    const closed = await startTestBackend({});
    try {
      expect((await closed.http('GET', '/api/v1/data/SPX/1d')).status).toBe(401);
      const register = await closed.http('POST', '/api/v1/hosts/register', { json: { url: 'http://x.invalid:1' } });
      expect(register.status).toBe(401);
      expect(register.text).toContain('--insecure-hosts');
    } finally {
      await closed.close();
    }
    const open = await startTestBackend({}, { insecureHosts: true });
    try {
      expect((await open.http('GET', '/api/v1/data/SPX/1d')).status).toBe(200);
    } finally {
      await open.close();
    }
  });
});

describe('backend API: a backend whose token the host does not share', () => {
  let host: HostProcess;
  let server: TestBackend;
  beforeAll(async () => {
    host = await startHostProcess();
    server = await startTestBackend({ tok_tiny: spxStrategy('tok_tiny') }, { hosts: { hosts: [host.url], token: 'not-the-hosts-token' } });
  });
  afterAll(async () => {
    await server?.close();
    await host?.kill();
  });

  it('should fail the run with UNAUTHORIZED and run nothing on the host', async () => {
    const id = await startTraining(server, { strategy_name: 'tok_tiny', execution_mode: 'host' });
    const done = await server.waitForStatus(id, TERMINAL);
    expect(done).toMatchObject({ status: 'failed', error: { code: 'UNAUTHORIZED' }, started_at: null });
    const health = (await (await fetch(`${host.url}/health`)).json()) as { active: number };
    expect(health.active).toBe(0);
  });
});

describe('backend API: no host running', () => {
  let server: TestBackend;
  beforeAll(async () => {
    server = await startTestBackend({ nohost_tiny: spxStrategy('nohost_tiny') }, { hosts: { hosts: [await deadUrl()], token: HOST_TOKEN } });
  });
  afterAll(async () => server?.close());

  it('should run a host request locally, recording the fallback and why', async () => {
    const started = StartTrainingResponseSchema.parse(
      (await server.http('POST', '/api/v1/trainings/start', { json: { strategy_name: 'nohost_tiny', execution_mode: 'host' } })).body,
    );
    expect(started.execution).toMatchObject({
      requested: 'host',
      selected: 'local',
      reason: expect.stringMatching(
        /^host requested, but no training host is healthy \(http:\/\/127\.0\.0\.1:\d+: unhealthy \(.*ECONNREFUSED.*\)\); fell back to local execution$/,
      ),
    });
    const done = await server.waitForStatus(started.operation_id, TERMINAL);
    expect(done).toMatchObject({ status: 'completed', execution: { selected: 'local', reason: started.execution.reason } });
  });

  it('should refuse the same request with require_gpu: 503 HOST_UNAVAILABLE, nothing started', async () => {
    const before = OperationListSchema.parse((await server.http('GET', '/api/v1/operations')).body).total;
    const refused = await server.http('POST', '/api/v1/trainings/start', {
      json: { strategy_name: 'nohost_tiny', execution_mode: 'host', require_gpu: true },
    });
    expect(refused.status).toBe(503);
    expect(errorCode(refused)).toBe('HOST_UNAVAILABLE');
    expect(OperationListSchema.parse((await server.http('GET', '/api/v1/operations')).body).total).toBe(before);
  });
});
