/**
 * Scheduling cost of cluster mode (`npm run bench:queue [-- --runs 200]`).
 *
 * Starts a real `redis-server` (noeviction) on a free loopback port, a backend (`ktrdr serve` with KTRDR_REDIS_URL)
 * and two queue hosts (`ktrdr host --queue`, one slot each) as their own processes, then:
 * 1. Dispatch latency: tiny trainings one at a time on the idle cluster; for each, the operation's `created_at` (the
 *    job is enqueued while the start request is answered) to its `started_at` (the host's `started` event relayed:
 *    taken from Redis, data ready, thread started). Reports median and p99.
 * 2. Overhead: `--runs` tiny trainings (default 200) started at once; wall time from the first `created_at` to the
 *    last `finished_at`, against the ideal: the sum of the runs' own times (`started_at` → `finished_at`, which
 *    includes the host's result push and the backend's save) divided by the 2 slots. Target: under 10%.
 *
 * Output: one JSON line per phase, then a summary line. Needs `redis-server` on PATH.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectRoot } from '../src/util/package-info.js';
import { startKtrdr, startRedisServer } from './processes.js';
import { median, percentile, report } from './stats.js';
import { spxRsiStrategy } from './strategies.js';

const HOSTS = 2;
const LATENCY_RUNS = 20;
const OVERHEAD_TARGET = 0.1;
const TOKEN = 'bench-queue-token';
const TINY = spxRsiStrategy({ name: 'bench_tiny', epochs: 3, learningRate: 0.005, zigzagThreshold: 0.03 });
const TERMINAL = new Set(['completed', 'failed', 'cancelled']);

interface Operation {
  status: string;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  execution?: { selected?: string };
}

function runsOption(): number {
  const index = process.argv.indexOf('--runs');
  const runs = index === -1 ? 200 : Number(process.argv[index + 1]);
  if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs must be a positive integer, got ${process.argv[index + 1]}`);
  return runs;
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  await new Promise((resolve) => child.once('exit', resolve));
}

async function json<T>(url: string, init?: RequestInit): Promise<T> {
  const response = await fetch(url, init);
  const body = (await response.json()) as T;
  if (!response.ok) throw new Error(`${init?.method ?? 'GET'} ${url}: ${response.status} ${JSON.stringify(body)}`);
  return body;
}

async function start(api: string, seed: number): Promise<string> {
  const body = await json<{ operation_id: string; execution: { selected: string } }>(`${api}/trainings/start`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ strategy_name: 'bench_tiny', execution_mode: 'host', seed }),
  });
  if (body.execution.selected !== 'host') throw new Error(`run ${body.operation_id} was not queued: ${JSON.stringify(body.execution)}`);
  return body.operation_id;
}

async function finished(api: string, id: string): Promise<Operation> {
  for (;;) {
    const operation = await json<Operation>(`${api}/operations/${id}`);
    if (TERMINAL.has(operation.status)) {
      if (operation.status !== 'completed') throw new Error(`run ${id} ended ${operation.status}`);
      return operation;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const at = (iso: string | null): number => Date.parse(iso!);
const round = (value: number) => Math.round(value * 10) / 10;

async function main(): Promise<void> {
  const runs = runsOption();
  const root = await mkdtemp(join(tmpdir(), 'ktrdr-bench-queue-'));
  const strategies = join(root, 'strategies');
  await mkdir(strategies, { recursive: true });
  await mkdir(join(root, 'redis'), { recursive: true });
  await writeFile(join(strategies, 'bench_tiny.yaml'), TINY);
  const children: ChildProcess[] = [];
  try {
    const redis = await startRedisServer(join(root, 'redis'));
    children.push(redis.child);
    const backend = await startKtrdr(['serve', '--port', '0', '--log-level', 'warn'], {
      KTRDR_HOME: join(root, 'home'),
      KTRDR_MODELS_DIR: join(root, 'models'),
      KTRDR_STRATEGIES_DIR: strategies,
      KTRDR_DATA_DIR: join(projectRoot(), 'data'),
      KTRDR_LOCAL_CONCURRENCY: '1',
      KTRDR_REDIS_URL: redis.url,
      KTRDR_HOST_TOKEN: TOKEN,
    });
    children.push(backend.child);
    for (let i = 1; i <= HOSTS; i++) {
      const host = await startKtrdr(
        ['host', '--queue', redis.url, '--name', `bench-q${i}`, '--concurrency', '1', '--cache-dir', join(root, `cache-${i}`), '--log-level', 'warn'],
        { KTRDR_HOST_TOKEN: TOKEN, KTRDR_HOME: join(root, `host-home-${i}`), KTRDR_DATA_DIR: join(projectRoot(), 'data') },
      );
      children.push(host.child);
    }
    const api = `${backend.url}/api/v1`;
    // Wait for both heartbeats, then warm up (JIT, connections).
    for (;;) {
      const hosts = await json<{ data: { source: string; status: string }[] }>(`${api}/hosts`);
      if (hosts.data.filter((h) => h.source === 'queue' && h.status === 'healthy').length === HOSTS) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    for (let i = 0; i < HOSTS * 2; i++) await finished(api, await start(api, 1000 + i));

    const latencies: number[] = [];
    for (let i = 0; i < LATENCY_RUNS; i++) {
      const operation = await finished(api, await start(api, 2000 + i));
      latencies.push(at(operation.started_at) - at(operation.created_at));
    }
    const latency = { median_ms: round(median(latencies)), p99_ms: round(percentile(latencies, 99)) };
    report({ kind: 'dispatch_latency', runs: LATENCY_RUNS, ...latency });

    const ids: string[] = [];
    for (let i = 0; i < runs; i++) ids.push(await start(api, i + 1));
    const operations: Operation[] = [];
    for (const id of ids) operations.push(await finished(api, id));
    const wall = Math.max(...operations.map((o) => at(o.finished_at))) - Math.min(...operations.map((o) => at(o.created_at)));
    const busy = operations.reduce((sum, o) => sum + at(o.finished_at) - at(o.started_at), 0);
    const ideal = busy / HOSTS;
    const overhead = wall / ideal - 1;
    report({ kind: 'overhead', runs, hosts: HOSTS, wall_ms: round(wall), ideal_ms: round(ideal), overhead_pct: round(overhead * 100) });
    report({
      kind: 'summary',
      runs,
      hosts: HOSTS,
      dispatch_median_ms: latency.median_ms,
      dispatch_p99_ms: latency.p99_ms,
      overhead_pct: round(overhead * 100),
      meets_overhead_target: overhead < OVERHEAD_TARGET,
      cores: availableParallelism(),
      node: process.version,
    });
  } finally {
    for (const child of children.reverse()) await stop(child);
    await rm(root, { recursive: true, force: true });
  }
}

await main();
