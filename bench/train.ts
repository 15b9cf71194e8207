/**
 * Training throughput of the neural-network engine (`npm run bench:train`), on the protocol of
 * nn-stack-evaluation.md: 100,000 synthetic rows × 40 features (80k train, 20k validation), MLP 40→64→32→3 with ReLU
 * and dropout 0.2, Adam lr 1e-3, 5 epochs, one thread. Each batch size runs 3 times (seeds 1-3) and reports the
 * median. Throughput = epochs × training rows / wall time of the whole `train()` call, so it includes shuffling, batch
 * gathering, the per-epoch validation pass and best-weight snapshots. The same figure per CPU second of this process is
 * reported alongside: on a shared machine it shows what the code does when wall time is inflated by other load.
 *
 * Output: one JSON line per run, one summary line per batch size, then one line with the process's peak RSS.
 * Targets: ≥ 60,000 samples/s at batch 32 and peak RSS < 200 MB.
 */
import { evaluateLogits, makeSyntheticClassification, predictLogits, train, type MlpSpec } from '../src/nn/index.js';

const ROWS = 100_000;
const FEATURES = 40;
const TRAIN_ROWS = 80_000;
const EPOCHS = 5;
const REPETITIONS = 3;
const BATCH_SIZES = [32, 256];
const TARGET_SAMPLES_PER_S = 60_000;
const RSS_LIMIT_MB = 200;

const spec: MlpSpec = { inputs: FEATURES, hidden: [64, 32], outputs: 3, activation: 'relu', dropout: 0.2 };

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

function emit(record: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(record)}\n`);
}

async function main(): Promise<void> {
  const data = makeSyntheticClassification(ROWS, FEATURES, 2026);
  const split = TRAIN_ROWS * FEATURES;
  const trainSet = { x: data.x.subarray(0, split), y: data.y.subarray(0, TRAIN_ROWS), rows: TRAIN_ROWS, features: FEATURES };
  const validationSet = {
    x: data.x.subarray(split),
    y: data.y.subarray(TRAIN_ROWS),
    rows: ROWS - TRAIN_ROWS,
    features: FEATURES,
  };

  const summaries: Record<string, unknown>[] = [];
  for (const batchSize of BATCH_SIZES) {
    const runs: { samplesPerS: number; samplesPerCpuS: number; valAccuracy: number }[] = [];
    for (let repetition = 1; repetition <= REPETITIONS; repetition++) {
      const started = performance.now();
      const cpuStarted = process.cpuUsage();
      const result = await train({ train: trainSet, validation: validationSet }, spec, {
        epochs: EPOCHS,
        batchSize,
        learningRate: 1e-3,
        seed: repetition,
      });
      const seconds = (performance.now() - started) / 1000;
      const cpu = process.cpuUsage(cpuStarted);
      const cpuSeconds = (cpu.user + cpu.system) / 1e6;
      const logits = predictLogits(result.weights, validationSet.x, validationSet.rows);
      const report = evaluateLogits(logits, validationSet.y, 3);
      const run = {
        samplesPerS: (EPOCHS * TRAIN_ROWS) / seconds,
        samplesPerCpuS: (EPOCHS * TRAIN_ROWS) / cpuSeconds,
        valAccuracy: report.accuracy,
      };
      runs.push(run);
      emit({
        kind: 'run',
        batch_size: batchSize,
        seed: repetition,
        seconds: round(seconds, 3),
        cpu_seconds: round(cpuSeconds, 3),
        samples_per_s: Math.round(run.samplesPerS),
        samples_per_cpu_s: Math.round(run.samplesPerCpuS),
        val_accuracy: round(report.accuracy, 4),
        baseline_accuracy: round(report.baseline_accuracy, 4),
        best_epoch: result.bestEpoch,
      });
    }
    const summary = {
      kind: 'summary',
      batch_size: batchSize,
      samples_per_s_median: Math.round(median(runs.map((run) => run.samplesPerS))),
      samples_per_cpu_s_median: Math.round(median(runs.map((run) => run.samplesPerCpuS))),
      val_accuracy_median: round(median(runs.map((run) => run.valAccuracy)), 4),
      repetitions: REPETITIONS,
    };
    summaries.push(summary);
    emit(summary);
  }
  const peakRssMb = process.resourceUsage().maxRSS / 1024;
  const batch32 = summaries.find((summary) => summary.batch_size === 32);
  emit({
    kind: 'memory',
    peak_rss_mb: round(peakRssMb, 1),
    rss_limit_mb: RSS_LIMIT_MB,
    target_samples_per_s: TARGET_SAMPLES_PER_S,
    meets_throughput_target: Number(batch32?.samples_per_s_median) >= TARGET_SAMPLES_PER_S,
    meets_memory_target: peakRssMb < RSS_LIMIT_MB,
    node: process.version,
  });
}

function round(value: number, digits: number): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

await main();
