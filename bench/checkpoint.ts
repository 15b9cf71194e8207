/**
 * `npm run bench:checkpoint`: what checkpoints cost, and how fast a killed server trains again.
 *
 * 1. Cost: the example multi-indicator strategy on 200,000 bars of synthetic hourly data (the pipeline benchmark's
 *    data, twice the bars), trained with a checkpoint after every epoch into a temporary `CheckpointStore`. Per
 *    checkpoint: `prepare` (the trainer's state copy and the encoding, measured from the epoch's end to the store
 *    call), `encode` (the encoding alone, timed again on the same checkpoint) and `write` (temp file, rename,
 *    pruning). The trainer copies its state after every epoch (so that a cancel can save it) but encodes and writes
 *    only when a checkpoint is due, so the overhead at the default policy (every 10 epochs) is
 *    (10 × copy + encode + write) / (10 × epoch), copy = prepare − encode, from the medians. Target < 1 %.
 * 2. Restart: a small training with a checkpoint every 5 epochs on a real `ktrdr serve`, killed with SIGKILL; the
 *    time from starting the server again to the first epoch the resumed run records. Target median < 2 s.
 *
 * Environment: BENCH_BARS (200000), BENCH_EPOCHS (6 per run), BENCH_RUNS (2 pipeline runs), BENCH_RESTARTS (5).
 */
import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { CheckpointStore } from '../src/checkpoints/checkpoint-store.js';
import { formatOhlcvCsv } from '../src/data/csv.js';
import { filterRange } from '../src/data/range.js';
import { generateSyntheticSeries } from '../src/data/synth.js';
import { sha256Hex } from '../src/training/artifact.js';
import { applyOverrides } from '../src/training/overrides.js';
import { encodeCheckpoint } from '../src/training/checkpoint-format.js';
import { runTraining, type CheckpointSink, type TrainingDataSource } from '../src/training/pipeline.js';
import { silentLogger } from '../src/util/logger.js';
import { projectRoot } from '../src/util/package-info.js';
import { startKtrdr } from './processes.js';
import { median, report } from './stats.js';

const BARS = Number(process.env.BENCH_BARS ?? 200_000);
const EPOCHS = Number(process.env.BENCH_EPOCHS ?? 6);
const RUNS = Number(process.env.BENCH_RUNS ?? 2);
const RESTARTS = Number(process.env.BENCH_RESTARTS ?? 5);
const DEFAULT_EVERY_EPOCHS = 10;
const OVERHEAD_TARGET_PERCENT = 1;
const RESTART_TARGET_MS = 2000;

async function checkpointCost(root: string): Promise<Record<string, unknown>> {
  const series = generateSyntheticSeries({ symbol: 'SYN', timeframe: '1h', bars: BARS, seed: 5, start: '2000-01-03T00:00:00Z' });
  const digest = sha256Hex(formatOhlcvCsv(series));
  const data: TrainingDataSource = {
    async loadWithDigest(_symbol, _timeframe, range) {
      return { series: filterRange(series, range), file: '<memory>', sha256: digest };
    },
  };
  const base = applyOverrides(await readFile(join(projectRoot(), 'strategies', 'spx_multi_indicator.yaml'), 'utf8'), {
    symbols: ['SYN'],
    timeframes: ['1h'],
    epochs: EPOCHS,
  });
  const strategyYaml = base.replace(/^training:\n/m, 'training:\n  checkpoint: {every_epochs: 1}\n');
  if (strategyYaml === base) throw new Error('could not set training.checkpoint in the benchmark strategy');

  const prepareMs: number[] = [];
  const encodeMs: number[] = [];
  const writeMs: number[] = [];
  const epochMs: number[] = [];
  const bytes: number[] = [];
  let trainRows = 0;
  for (let run = 0; run < RUNS; run++) {
    const store = new CheckpointStore(join(root, `run-${run}`));
    let epochEnded = 0;
    const sink: CheckpointSink = {
      latest: () => Promise.resolve(null),
      save: async (checkpoint, encoded) => {
        const started = performance.now();
        prepareMs.push(started - epochEnded);
        const encodeStarted = performance.now();
        encodeCheckpoint(checkpoint);
        encodeMs.push(performance.now() - encodeStarted);
        await store.write('op_bench', checkpoint.state.epochsDone, encoded);
        writeMs.push(performance.now() - started);
        bytes.push(encoded.byteLength);
      },
    };
    const { artifact } = await runTraining(
      { strategyYaml },
      {
        logger: silentLogger(),
        onProgress: () => undefined,
        onEpoch: () => (epochEnded = performance.now()),
        signal: new AbortController().signal,
        data,
        execution: { mode: 'local', device: 'cpu' },
        operationId: 'op_bench',
        checkpoint: sink,
      },
    );
    trainRows = artifact.metrics.split.train;
    epochMs.push(...artifact.metrics.history.map((record) => record.duration_ms));
  }
  const prepare = median(prepareMs);
  const encode = median(encodeMs);
  const copy = Math.max(0, prepare - encode);
  const write = median(writeMs);
  const epoch = median(epochMs);
  const overheadPercent = (100 * (DEFAULT_EVERY_EPOCHS * copy + encode + write)) / (DEFAULT_EVERY_EPOCHS * epoch);
  return {
    bars: BARS,
    train_rows: trainRows,
    checkpoints: writeMs.length,
    checkpoint_bytes: median(bytes),
    median_prepare_ms: round(prepare, 2),
    median_encode_ms: round(encode, 2),
    state_copy_ms: round(copy, 2),
    median_write_ms: round(write),
    median_checkpoint_ms: round(prepare + write),
    median_epoch_ms: round(epoch),
    default_policy_overhead_percent: round(overheadPercent, 3),
    target_percent: OVERHEAD_TARGET_PERCENT,
    meets_target: overheadPercent < OVERHEAD_TARGET_PERCENT,
  };
}

async function restartToTraining(root: string): Promise<Record<string, unknown>> {
  const dirs = { home: join(root, 'home'), models: join(root, 'models'), strategies: join(root, 'strategies') };
  await mkdir(dirs.strategies, { recursive: true });
  const strategy = (await readFile(join(projectRoot(), 'strategies', 'demo_rsi.yaml'), 'utf8')).replace(/^name: .*$/m, 'name: bench_resume');
  const long = applyOverrides(strategy, { epochs: 100_000 }).replace(/^training:\n/m, 'training:\n  checkpoint: {every_epochs: 5}\n');
  await writeFile(join(dirs.strategies, 'bench_resume.yaml'), long.replace(/early_stopping: \{[^}]*\}/, 'early_stopping: {enabled: false}'));
  const env = {
    KTRDR_HOME: dirs.home,
    KTRDR_MODELS_DIR: dirs.models,
    KTRDR_STRATEGIES_DIR: dirs.strategies,
    KTRDR_DATA_DIR: join(projectRoot(), 'data'),
  };
  const args = ['serve', '--port', '0', '--log-level', 'warn'];
  let server = await startKtrdr(args, env);
  const started = (await (
    await fetch(`${server.url}/api/v1/trainings/start`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ strategy_name: 'bench_resume' }),
    })
  ).json()) as { operation_id: string };
  const id = started.operation_id;
  const lastEpoch = async (url: string): Promise<number> => {
    const body = (await (await fetch(`${url}/api/v1/operations/${id}/metrics`)).json()) as { epochs: { epoch: number }[] };
    return body.epochs.at(-1)?.epoch ?? 0;
  };
  const untilEpochAbove = async (url: string, epoch: number): Promise<number> => {
    for (;;) {
      const now = await lastEpoch(url);
      if (now > epoch) return now;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  };
  const samples: number[] = [];
  // The part of each sample spent before the new process listens (Node start-up, opening the store): not resume work.
  const listening: number[] = [];
  try {
    await untilEpochAbove(server.url, 10);
    for (let restart = 0; restart < RESTARTS; restart++) {
      const before = await lastEpoch(server.url);
      server.child.kill('SIGKILL');
      await new Promise((resolve) => server.child.once('exit', resolve));
      const t0 = performance.now();
      server = await startKtrdr(args, env);
      listening.push(performance.now() - t0);
      await untilEpochAbove(server.url, before);
      samples.push(performance.now() - t0);
      await untilEpochAbove(server.url, before + 10);
    }
  } finally {
    server.child.kill('SIGKILL');
  }
  const restart = median(samples);
  return {
    restarts: samples.length,
    samples_ms: samples.map((ms) => round(ms)),
    median_restart_to_training_ms: round(restart),
    median_restart_to_listening_ms: round(median(listening)),
    target_ms: RESTART_TARGET_MS,
    meets_target: restart < RESTART_TARGET_MS,
  };
}

function round(value: number, digits = 1): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}

const root = await mkdtemp(join(tmpdir(), 'ktrdr-bench-ckpt-'));
try {
  report({
    bench: 'checkpoint',
    load_average_1m: round(loadavg()[0]),
    strategy: 'spx_multi_indicator (on synthetic 1h)',
    ...(await checkpointCost(join(root, 'cost'))),
  });
  report({
    bench: 'checkpoint_restart',
    load_average_1m: round(loadavg()[0]),
    strategy: 'demo_rsi',
    ...(await restartToTraining(join(root, 'restart'))),
  });
} finally {
  await rm(root, { recursive: true, force: true });
}
