/**
 * Sweep scheduling overhead (`npm run bench:sweep [-- --target local|queue --trainings 200 --slots N --runs 3]`).
 * `--target queue` places the trainings on `--slots` queue hosts pulling from a real redis-server (cluster mode).
 *
 * Each run starts a fresh backend for the target in a temp KTRDR_HOME and runs one sweep of tiny trainings (the
 * SPX/RSI strategy, 2 epochs: learning rates × 5 seeds, 200 trainings by default) through `POST /api/v1/sweeps`, with
 * `max_parallel` equal to the target's parallel slots. Then, from the operation records as a client reads them:
 * - ideal = sum of the trainings' run times (started_at → finished_at) / slots: what a perfect scheduler would take;
 * - overhead = sweep wall time (its started_at → finished_at) / ideal - 1. Target < 10%;
 * - dispatch latency = a training's created_at (the sweep enqueues it) → started_at (running on its worker): median, p99.
 *
 * Targets are the ways the trainings can be placed; every target is measured by the same sweep and the same summary,
 * so a new placement only has to say how its backend starts (`BenchTarget`).
 *
 * Output: one JSON line per measurement and run, a summary line per run, and with several runs a line of medians.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createBackend } from '../src/api/backend.js';
import type { OperationResponse } from '../src/contracts/operations.js';
import { projectRoot } from '../src/util/package-info.js';
import { startKtrdr, startRedisServer } from './processes.js';
import { median, percentile, report } from './stats.js';
import { spxRsiStrategy } from './strategies.js';

const OVERHEAD_TARGET = 0.1;
const SEEDS = 5;
const STRATEGY = 'bench_sweep';

/** A backend the bench talks to as a client: the API, and a wait for an operation's end. */
interface BenchBackend {
  /** `GET`/`POST /api/v1…`, answering the status and the parsed JSON body. */
  request(method: 'GET' | 'POST', url: string, body?: unknown): Promise<{ status: number; body: unknown }>;
  /** Resolves once the operation has ended. */
  waitForEnd(id: string): Promise<void>;
  close(): Promise<void>;
}

/** A way of placing the sweep's trainings. */
interface BenchTarget {
  /** Parallel training slots: the sweep's max_parallel, and what the ideal divides the summed run times by. */
  readonly slots: number;
  /** Starts a backend with the data bundled in the repository and the strategies in `dirs.strategies`. */
  start(dirs: { readonly root: string; readonly strategies: string }): Promise<BenchBackend>;
}

/** The backend in this process, trainings on its own worker threads. */
function localTarget(slots: number): BenchTarget {
  return {
    slots,
    async start(dirs) {
      const backend = await createBackend({
        settings: {
          dataDir: join(projectRoot(), 'data'),
          strategiesDir: dirs.strategies,
          homeDir: join(dirs.root, 'home'),
          modelsDir: join(dirs.root, 'models'),
        },
        concurrency: slots,
        hosts: { hosts: [], token: undefined, publicUrl: undefined, defaultMode: 'local', run: {} },
      });
      return {
        async request(method, url, body) {
          const response = await backend.app.inject({ method, url: `/api/v1${url}`, ...(body === undefined ? {} : { payload: body as object }) });
          return { status: response.statusCode, body: response.json() };
        },
        waitForEnd: (id) => backend.sweeps.whenFinished(id),
        close: () => backend.close(),
      };
    },
  };
}

/**
 * Cluster mode: the backend in this process with KTRDR_REDIS_URL (listening, for the hosts' pushes and downloads), a
 * real `redis-server` and `slots` queue hosts (`ktrdr host --queue`, one slot each) as their own processes.
 */
function queueTarget(slots: number): BenchTarget {
  return {
    slots,
    async start(dirs) {
      const children: ChildProcess[] = [];
      const stopAll = async () => {
        for (const child of children.reverse()) {
          if (child.exitCode !== null || child.signalCode !== null) continue;
          child.kill('SIGTERM');
          await new Promise((resolve) => child.once('exit', resolve));
        }
      };
      try {
        await mkdir(join(dirs.root, 'redis'));
        const redis = await startRedisServer(join(dirs.root, 'redis'));
        children.push(redis.child);
        const backend = await createBackend({
          settings: {
            dataDir: join(projectRoot(), 'data'),
            strategiesDir: dirs.strategies,
            homeDir: join(dirs.root, 'home'),
            modelsDir: join(dirs.root, 'models'),
          },
          concurrency: 1,
          hosts: { hosts: [], token: QUEUE_TOKEN, publicUrl: undefined, defaultMode: 'host', run: {}, redisUrl: redis.url },
        });
        await backend.app.listen({ port: 0, host: '127.0.0.1' });
        for (let i = 1; i <= slots; i++) {
          const host = await startKtrdr(
            [
              'host',
              '--queue',
              redis.url,
              '--name',
              `bench-q${i}`,
              '--concurrency',
              '1',
              '--cache-dir',
              join(dirs.root, `cache-${i}`),
              '--log-level',
              'warn',
            ],
            { KTRDR_HOST_TOKEN: QUEUE_TOKEN, KTRDR_HOME: join(dirs.root, `host-home-${i}`), KTRDR_DATA_DIR: join(projectRoot(), 'data') },
          );
          children.push(host.child);
        }
        const request: BenchBackend['request'] = async (method, url, body) => {
          const response = await backend.app.inject({ method, url: `/api/v1${url}`, ...(body === undefined ? {} : { payload: body as object }) });
          return { status: response.statusCode, body: response.json() };
        };
        // Every host's heartbeat, or the sweep's trainings would fall back to local.
        for (;;) {
          const hosts = (await request('GET', '/hosts')).body as { data: { source: string; status: string }[] };
          if (hosts.data.filter((h) => h.source === 'queue' && h.status === 'healthy').length === slots) break;
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
        return {
          request,
          waitForEnd: (id) => backend.sweeps.whenFinished(id),
          close: async () => {
            await backend.close();
            await stopAll();
          },
        };
      } catch (error) {
        await stopAll();
        throw error;
      }
    },
  };
}

const QUEUE_TOKEN = 'bench-sweep-queue-token';
const TARGETS: Record<string, (slots: number) => BenchTarget> = { local: localTarget, queue: queueTarget };

function option(name: string): string | undefined {
  const index = process.argv.indexOf(`--${name}`);
  return index < 0 ? undefined : process.argv[index + 1];
}

function positiveInteger(name: string, fallback: number): number {
  const text = option(name);
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) throw new Error(`--${name} must be a positive integer`);
  return value;
}

const targetName = option('target') ?? 'local';
if (!(targetName in TARGETS)) throw new Error(`--target must be one of ${Object.keys(TARGETS).join(', ')}`);
const trainings = positiveInteger('trainings', 200);
const runs = positiveInteger('runs', 1);
const target = TARGETS[targetName](positiveInteger('slots', Math.max(1, Math.min(8, availableParallelism() - 1))));
if (trainings % SEEDS !== 0) throw new Error(`--trainings must be a multiple of ${SEEDS} (configurations × ${SEEDS} seeds)`);

const ms = (iso: string | null): number => Date.parse(iso!);

interface RunFigures {
  readonly overheadPct: number;
  readonly dispatchMedianMs: number;
  readonly dispatchP99Ms: number;
}

async function runOnce(run: number): Promise<RunFigures> {
  const root = await mkdtemp(join(tmpdir(), 'ktrdr-bench-sweep-'));
  try {
    const strategies = join(root, 'strategies');
    await mkdir(strategies);
    await writeFile(join(strategies, `${STRATEGY}.yaml`), spxRsiStrategy({ name: STRATEGY, epochs: 2, learningRate: 0.005, zigzagThreshold: 0.03 }));
    const backend = await target.start({ root, strategies });
    try {
      const rates = Array.from({ length: trainings / SEEDS }, (_, i) => Number((0.001 + i * 0.0005).toFixed(4)));
      const started = await backend.request('POST', '/sweeps', {
        strategy_name: STRATEGY,
        params: { 'training.learning_rate': rates },
        seeds: Array.from({ length: SEEDS }, (_, i) => i + 1),
        max_parallel: target.slots,
      });
      if (started.status !== 202) throw new Error(`POST /sweeps answered ${started.status}: ${JSON.stringify(started.body)}`);
      const id = (started.body as { operation_id: string }).operation_id;
      await backend.waitForEnd(id);
      const sweep = (await backend.request('GET', `/operations/${id}`)).body as OperationResponse;
      const listed = (await backend.request('GET', `/operations?type=training&strategy=${STRATEGY}&limit=500`)).body as { data: OperationResponse[] };
      return summarise(
        run,
        sweep,
        listed.data.filter((op) => op.parent_id === id),
      );
    } finally {
      await backend.close();
    }
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

function summarise(run: number, sweep: OperationResponse, children: readonly OperationResponse[]): RunFigures {
  const completed = children.filter((c) => c.status === 'completed');
  if (sweep.status !== 'completed' || completed.length !== trainings) {
    throw new Error(`sweep ${sweep.status} with ${completed.length}/${trainings} trainings completed`);
  }
  const runTimes = completed.map((c) => ms(c.finished_at) - ms(c.started_at));
  const dispatch = completed.map((c) => ms(c.started_at) - ms(c.created_at));
  const wall = ms(sweep.finished_at) - ms(sweep.started_at);
  const ideal = runTimes.reduce((sum, t) => sum + t, 0) / target.slots;
  const figures = {
    overheadPct: Math.round((wall / ideal - 1) * 1000) / 10,
    dispatchMedianMs: median(dispatch),
    dispatchP99Ms: percentile(dispatch, 99),
  };
  const common = { target: targetName, run };
  report({ ...common, measurement: 'run_time_ms', trainings, median: median(runTimes), p99: percentile(runTimes, 99) });
  report({ ...common, measurement: 'dispatch_latency_ms', median: figures.dispatchMedianMs, p99: figures.dispatchP99Ms, max: Math.max(...dispatch) });
  report({
    ...common,
    summary: 'sweep',
    trainings,
    slots: target.slots,
    wall_s: wall / 1000,
    ideal_s: ideal / 1000,
    overhead_pct: figures.overheadPct,
    overhead_target_pct: OVERHEAD_TARGET * 100,
    dispatch_median_ms: figures.dispatchMedianMs,
    dispatch_p99_ms: figures.dispatchP99Ms,
    pass: figures.overheadPct < OVERHEAD_TARGET * 100,
  });
  return figures;
}

const all: RunFigures[] = [];
for (let run = 1; run <= runs; run++) all.push(await runOnce(run));
if (runs > 1) {
  const overhead = median(all.map((f) => f.overheadPct));
  report({
    target: targetName,
    summary: `median of ${runs} runs`,
    trainings,
    slots: target.slots,
    overhead_pct: overhead,
    overhead_pct_runs: all.map((f) => f.overheadPct),
    dispatch_median_ms: median(all.map((f) => f.dispatchMedianMs)),
    dispatch_p99_ms: median(all.map((f) => f.dispatchP99Ms)),
    pass: overhead < OVERHEAD_TARGET * 100,
  });
}
