import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll } from 'vitest';
import type { Executor, RunHandle } from '../../src/execution/executor.js';
import { QueueHosts } from '../../src/execution/queue/queue-hosts.js';
import { QUEUES, queueTarget } from '../../src/execution/queue/queue-protocol.js';
import { artifactFromJson } from '../../src/training/artifact.js';
import { silentLogger } from '../../src/util/logger.js';
import { startHostProcess, type HostProcess } from '../helpers/host-process.js';
import { startRedis, type RedisProcess } from '../helpers/redis-server.js';
import { waitFor } from '../helpers/strategies.js';
import { describeExecutorConformance } from './executor.conformance.js';

const gunzipAsync = promisify(gunzip);

/**
 * What a queue host calls on the backend, as a tiny real server: result pushes go to the run's handle exactly as the
 * backend hands them over (`remote.deliverResult`, answered once the run has settled); every data download is
 * refused, so a host trains on its own copy of the bundled data and a series it lacks fails with DATA_NOT_FOUND.
 */
class ResultEndpoint {
  readonly handles = new Map<string, RunHandle>();
  private readonly app: FastifyInstance = Fastify();
  url = '';

  async start(): Promise<this> {
    this.app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
    this.app.get('/api/v1/data/:symbol/:timeframe', async (_request, reply) =>
      reply.code(404).send({ error: { code: 'DATA_NOT_FOUND', message: 'no such series' } }),
    );
    this.app.post<{ Params: { id: string } }>('/api/v1/trainings/:id/result', async (request, reply) => {
      const handle = this.handles.get(request.params.id);
      if (handle?.remote === undefined) return reply.code(404).send({ error: { code: 'OPERATION_NOT_FOUND', message: 'unknown run' } });
      const raw = request.body as Buffer;
      const json = (request.headers['content-encoding'] === 'gzip' ? await gunzipAsync(raw) : raw).toString('utf8');
      handle.remote.deliverResult(artifactFromJson(json));
      await handle.outcome;
      return reply.code(200).send({ ok: true });
    });
    this.url = await this.app.listen({ port: 0, host: '127.0.0.1' });
    return this;
  }

  close(): Promise<void> {
    return this.app.close();
  }
}

/**
 * One redis-server and one `ktrdr host --queue` process per concurrency, shared by the suite: a host of another
 * concurrency on the same queue would take jobs too.
 */
const clusters = new Map<number, Promise<{ redis: RedisProcess; host: HostProcess }>>();
function clusterWith(concurrency: number): Promise<{ redis: RedisProcess; host: HostProcess }> {
  let cluster = clusters.get(concurrency);
  if (cluster === undefined) {
    cluster = (async () => {
      const redis = await startRedis();
      const host = await startHostProcess({ queue: redis.url, name: `conformance-${concurrency}`, concurrency });
      return { redis, host };
    })();
    clusters.set(concurrency, cluster);
  }
  return cluster;
}
const endpoint = new ResultEndpoint().start();

afterAll(async () => {
  for (const cluster of clusters.values()) {
    const { redis, host } = await cluster;
    await host.kill();
    await redis.stop();
  }
  await (await endpoint).close();
});

// The same suite as the local worker threads and HTTP hosts, through Redis to a real queue host process.
describeExecutorConformance(
  'QueueExecutor',
  async ({ concurrency }) => {
    const { redis } = await clusterWith(concurrency);
    const results = await endpoint;
    const hosts = await QueueHosts.connect({ redisUrl: redis.url, publicUrl: () => results.url, logger: silentLogger() });
    // The executor's device and slots come from the host's heartbeat.
    await waitFor(
      async () => ((await hosts.candidates()).find((c) => c.url === queueTarget(QUEUES.cpu))?.status === 'healthy' ? true : undefined),
      'the queue host',
    );
    const inner = hosts.executor(queueTarget(QUEUES.cpu));
    const executor: Executor = {
      target: inner.target,
      get device() {
        return inner.device;
      },
      get gpu() {
        return inner.gpu;
      },
      submit(job, observer) {
        const handle = inner.submit(job, observer);
        results.handles.set(job.operationId, handle);
        return handle;
      },
      capacity: () => inner.capacity(),
      close: () => inner.close(),
    };
    return { executor, dispose: () => hosts.close() };
  },
  // A cancel goes through Redis pub/sub to the host, which stops at its next batch and writes the run's end.
  { cancelWithinMs: 1000 },
);
