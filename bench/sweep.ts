/**
 * Sweep scheduling overhead (`npm run bench:sweep [-- --trainings 200 --slots N]`).
 *
 * Runs one sweep of tiny trainings (the SPX/RSI strategy, 2 epochs: a configuration grid × seeds, 200 trainings by
 * default) on the real backend (SQLite operation store, model store, worker-thread executor) in a temp KTRDR_HOME,
 * with `--max-parallel` equal to the local slots. Then, from the operation records:
 * - ideal = sum of the trainings' run times (started_at → finished_at) / slots: what a perfect scheduler would take;
 * - overhead = sweep wall time (its started_at → finished_at) / ideal - 1. Target < 10%;
 * - dispatch latency = a training's created_at (the sweep enqueues it) → started_at (running in a worker): median, p99.
 *
 * Output: one JSON line per measurement, then a summary line.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createBackend } from '../src/api/backend.js';
import type { OperationResponse } from '../src/contracts/operations.js';
import { projectRoot } from '../src/util/package-info.js';
import { median, percentile, report } from './stats.js';
import { spxRsiStrategy } from './strategies.js';

const OVERHEAD_TARGET = 0.1;

function option(name: string, fallback: number): number {
  const index = process.argv.indexOf(`--${name}`);
  if (index < 0) return fallback;
  const value = Number(process.argv[index + 1]);
  if (!Number.isInteger(value) || value < 1) throw new Error(`--${name} must be a positive integer`);
  return value;
}

const trainings = option('trainings', 200);
const slots = option('slots', Math.max(1, Math.min(8, availableParallelism() - 1)));
const seeds = 5;
if (trainings % seeds !== 0) throw new Error(`--trainings must be a multiple of ${seeds} (configurations × ${seeds} seeds)`);

const ms = (iso: string | null): number => Date.parse(iso!);

async function main(): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), 'ktrdr-bench-sweep-'));
  try {
    const strategies = join(root, 'strategies');
    await mkdir(strategies);
    await writeFile(
      join(strategies, 'bench_sweep.yaml'),
      spxRsiStrategy({ name: 'bench_sweep', epochs: 2, learningRate: 0.005, zigzagThreshold: 0.03 }),
    );
    const backend = await createBackend({
      settings: { dataDir: join(projectRoot(), 'data'), strategiesDir: strategies, homeDir: join(root, 'home'), modelsDir: join(root, 'models') },
      concurrency: slots,
      hosts: { hosts: [], token: undefined, publicUrl: undefined, defaultMode: 'local', run: {} },
    });
    try {
      const rates = Array.from({ length: trainings / seeds }, (_, i) => Number((0.001 + i * 0.0005).toFixed(4)));
      const sweep = await backend.sweeps.start({
        strategyName: 'bench_sweep',
        axes: [{ path: 'training.learning_rate', values: rates }],
        seeds: Array.from({ length: seeds }, (_, i) => i + 1),
        maxParallel: slots,
      });
      await backend.sweeps.whenFinished(sweep.id);
      // Read back through the public API, as a client would see the records.
      const get = async (url: string) => (await backend.app.inject({ method: 'GET', url: `/api/v1${url}` })).json<Record<string, unknown>>();
      const done = (await get(`/operations/${sweep.id}`)) as unknown as OperationView;
      const listed = (await get(`/operations?type=training&strategy=bench_sweep&limit=500`)) as unknown as { data: OperationView[] };
      summarise(
        done,
        listed.data.filter((op) => op.parent_id === sweep.id),
      );
    } finally {
      await backend.close();
    }
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

type OperationView = OperationResponse;

function summarise(sweep: OperationView, children: readonly OperationView[]): void {
  const completed = children.filter((c) => c.status === 'completed');
  if (sweep.status !== 'completed' || completed.length !== trainings) {
    throw new Error(`sweep ${sweep.status} with ${completed.length}/${trainings} trainings completed`);
  }
  const runTimes = completed.map((c) => ms(c.finished_at) - ms(c.started_at));
  const dispatch = completed.map((c) => ms(c.started_at) - ms(c.created_at));
  const wall = ms(sweep.finished_at) - ms(sweep.started_at);
  const ideal = runTimes.reduce((sum, t) => sum + t, 0) / slots;
  const overhead = wall / ideal - 1;
  report({ measurement: 'run_time_ms', trainings, median: median(runTimes), p99: percentile(runTimes, 99) });
  report({ measurement: 'dispatch_latency_ms', median: median(dispatch), p99: percentile(dispatch, 99), max: Math.max(...dispatch) });
  report({
    summary: 'sweep',
    trainings,
    slots,
    wall_s: wall / 1000,
    ideal_s: ideal / 1000,
    overhead_pct: Math.round(overhead * 1000) / 10,
    overhead_target_pct: OVERHEAD_TARGET * 100,
    dispatch_median_ms: median(dispatch),
    dispatch_p99_ms: percentile(dispatch, 99),
    pass: overhead < OVERHEAD_TARGET,
  });
}

await main();
