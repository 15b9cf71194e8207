/**
 * Training throughput of the neural-network engine (`npm run bench:train`), on the protocol of
 * nn-stack-evaluation.md: 100,000 synthetic rows × 40 features (80k train, 20k validation), MLP 40→64→32→3 with ReLU
 * and dropout 0.2, Adam lr 1e-3, 5 epochs, one thread. Every available backend runs each batch size 5 times (seeds
 * 1-5), the backends interleaved inside each repetition so that load from other processes hits them alike; the
 * summary gives medians and each backend's median ratio to js-cpu (the reference) taken within repetitions.
 * Throughput = epochs × training rows / wall time of the whole `train()` call, so it includes shuffling, batch
 * gathering, the per-epoch validation pass and best-weight snapshots. The same figure per CPU second of this process
 * is reported alongside: on a shared machine it shows what the code does when wall time is inflated by other load.
 *
 * Before the repetitions of each batch size, every variant runs once untimed (the first runs of a process compile its
 * code and start its worker threads, which a server or a sweep pays once).
 *
 * `--backends=js-cpu,wasm-simd,wasm-simd:2` picks backends (`:N` = one run on N threads; the default adds wasm-simd on
 * 2 threads where there are 2 cores), `--batch-sizes=32,256` and `--repetitions=5` the rest. A threaded run's summary
 * also gives its median ratio to the same backend on one thread (target at batch 256 on 2 cores: ≥ 1.7).
 * `:2x` (opt-in: `--backends=wasm-simd,wasm-simd:2,wasm-simd:2x`) runs two independent single-thread trainings at
 * once, one in a helper thread with its own copy of the data (which adds ~100 MB to the peak RSS), and counts both:
 * its ratio to one thread is what two cores give when nothing is shared or synchronised, the ceiling for one run on
 * two threads on this machine (memory, caches and clocks shared with other tenants included).
 * Output: one JSON line per run, one summary line per backend and batch size, then one line with the process's peak
 * RSS and the load average. Targets: ≥ 60,000 samples/s at batch 32 (js-cpu) and peak RSS < 200 MB; wasm-simd ≥ 2×
 * js-cpu at batch 32 and ≥ 3× at batch 256.
 */
import { availableParallelism, loadavg } from 'node:os';
import { Worker } from 'node:worker_threads';
import { availableBackends, evaluateLogits, predictLogits, type TrainerResult } from '../src/nn/index.js';
import { median, report } from './stats.js';
import { benchData, EPOCHS, trainOnce, TRAIN_ROWS, type BenchData } from './train-setup.js';

const TARGET_SAMPLES_PER_S = 60_000;
const RSS_LIMIT_MB = 200;

function option(name: string, fallback: string): string {
  const prefix = `--${name}=`;
  return process.argv.find((arg) => arg.startsWith(prefix))?.slice(prefix.length) ?? fallback;
}

async function main(): Promise<void> {
  const defaults = [...availableBackends(), ...(availableBackends().includes('wasm-simd') && availableParallelism() >= 2 ? ['wasm-simd:2'] : [])];
  const backends = option('backends', defaults.join(',')).split(',');
  const batchSizes = option('batch-sizes', '32,256').split(',').map(Number);
  const repetitions = Number(option('repetitions', '5'));
  const data = benchData();
  const validationSet = data.validation;
  // The `:2x` variant's second training runs in this helper thread, which builds its own copy of the data now.
  const alongside = backends.some((variant) => variant.endsWith(':2x')) ? await startAlongside() : null;
  const loadBefore = loadavg()[0];

  const summaries: Record<string, unknown>[] = [];
  for (const batchSize of batchSizes) {
    // Untimed: a fresh process compiles its code, and starts its worker threads, during its first runs; a server or a
    // sweep pays that once, so the repetitions measure what every later run costs.
    for (const variant of backends) await runVariant(data, alongside, variant, batchSize, 0);
    const runs = new Map(backends.map((backend) => [backend, [] as { samplesPerS: number; samplesPerCpuS: number; valAccuracy: number }[]]));
    for (let repetition = 1; repetition <= repetitions; repetition++) {
      for (const variant of backends) {
        const started = performance.now();
        const cpuStarted = process.cpuUsage();
        const concurrent = variant.endsWith(':2x');
        const result = await runVariant(data, alongside, variant, batchSize, repetition);
        const seconds = (performance.now() - started) / 1000;
        const cpu = process.cpuUsage(cpuStarted);
        const cpuSeconds = (cpu.user + cpu.system) / 1e6;
        const evaluation = evaluateLogits(predictLogits(result.weights, validationSet.x, validationSet.rows), validationSet.y, 3);
        const run = {
          samplesPerS: ((concurrent ? 2 : 1) * EPOCHS * TRAIN_ROWS) / seconds,
          samplesPerCpuS: (EPOCHS * TRAIN_ROWS) / cpuSeconds,
          valAccuracy: evaluation.accuracy,
        };
        runs.get(variant)!.push(run);
        report({
          kind: 'run',
          backend: variant,
          batch_size: batchSize,
          seed: repetition,
          seconds: round(seconds, 3),
          cpu_seconds: round(cpuSeconds, 3),
          samples_per_s: Math.round(run.samplesPerS),
          samples_per_cpu_s: Math.round(run.samplesPerCpuS),
          val_accuracy: round(evaluation.accuracy, 4),
          baseline_accuracy: round(evaluation.baseline_accuracy, 4),
          best_epoch: result.bestEpoch,
        });
      }
    }
    const reference = runs.get('js-cpu');
    for (const [backend, backendRuns] of runs) {
      const singleThread = backend.includes(':') ? runs.get(backend.split(':')[0]) : undefined;
      const summary = {
        kind: 'summary',
        backend,
        batch_size: batchSize,
        samples_per_s_median: Math.round(median(backendRuns.map((run) => run.samplesPerS))),
        samples_per_cpu_s_median: Math.round(median(backendRuns.map((run) => run.samplesPerCpuS))),
        val_accuracy_median: round(median(backendRuns.map((run) => run.valAccuracy)), 4),
        // Per repetition, then the median: both runs of a repetition saw nearly the same load.
        ratio_to_js_cpu_median:
          reference === undefined ? null : round(median(backendRuns.map((run, i) => run.samplesPerS / reference[i].samplesPerS)), 2),
        ...(singleThread !== undefined && {
          ratio_to_single_thread_median: round(median(backendRuns.map((run, i) => run.samplesPerS / singleThread[i].samplesPerS)), 2),
        }),
        repetitions,
      };
      summaries.push(summary);
      report(summary);
    }
  }
  await alongside?.close();
  const peakRssMb = process.resourceUsage().maxRSS / 1024;
  const batch32 = summaries.find((summary) => summary.batch_size === 32 && summary.backend === 'js-cpu');
  report({
    kind: 'memory',
    peak_rss_mb: round(peakRssMb, 1),
    rss_limit_mb: RSS_LIMIT_MB,
    target_samples_per_s: TARGET_SAMPLES_PER_S,
    meets_throughput_target: batch32 === undefined ? null : Number(batch32.samples_per_s_median) >= TARGET_SAMPLES_PER_S,
    meets_memory_target: peakRssMb < RSS_LIMIT_MB,
    load_average_1m: { before: round(loadBefore, 2), after: round(loadavg()[0], 2) },
    node: process.version,
  });
}

/** One run of `variant` (`backend`, `backend:N` threads, or `backend:2x`: two single-thread runs at once). */
async function runVariant(data: BenchData, alongside: Alongside | null, variant: string, batchSize: number, seed: number): Promise<TrainerResult> {
  const [backend, threads = '1'] = variant.split(':');
  const concurrent = threads === '2x';
  const other = concurrent ? alongside!.train(backend, batchSize, seed) : null;
  const result = await trainOnce(data, backend, concurrent ? 1 : Number(threads), batchSize, seed);
  await other;
  return result;
}

interface Alongside {
  train(backend: string, batchSize: number, seed: number): Promise<void>;
  close(): Promise<void>;
}

/** A helper thread that runs single-thread trainings on its own copy of the data, alongside this thread's. */
async function startAlongside(): Promise<Alongside> {
  const worker = new Worker(new URL('./train-alongside.js', import.meta.url));
  await new Promise((resolve, reject) => worker.once('message', resolve).once('error', reject));
  return {
    train: (backend, batchSize, seed) =>
      new Promise<void>((resolve, reject) => {
        const fail = (error: Error): void => reject(error);
        worker.once('message', () => {
          worker.off('error', fail);
          resolve();
        });
        worker.once('error', fail);
        worker.postMessage({ backend, batchSize, seed });
      }),
    close: async () => void (await worker.terminate()),
  };
}

function round(value: number, digits: number): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

await main();
