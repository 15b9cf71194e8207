/**
 * `npm run bench:torch`: the bench:train network trained by ktrdr's wasm-simd backend and by PyTorch, one thread
 * each, on the same data (100k synthetic rows × 40 features, 80k train), 5 repetitions interleaved per batch size;
 * prints each run, then medians and the median per-repetition ratio ktrdr / PyTorch, by wall time and by CPU time of
 * each side's process (on a shared machine the wall figures stretch with other load; the CPU ones much less).
 * Targets: ≥ 3× PyTorch at batch 32 and ≥ 1.5× at batch 256.
 *
 * PyTorch comes from the Python in KTRDR_TORCH_PYTHON (default /usr/bin/python3, where Debian's python3-torch
 * installs). Without it the benchmark prints a `skipped` line and exits 0.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeSyntheticClassification, resolveBackend, train, type MlpSpec } from '../src/nn/index.js';
import { projectRoot } from '../src/util/package-info.js';
import { median, report } from './stats.js';

const ROWS = 100_000;
const FEATURES = 40;
const TRAIN_ROWS = 80_000;
const EPOCHS = 5;
const REPETITIONS = Number(process.env.BENCH_RUNS ?? 5);
const BATCH_SIZES = [32, 256];
const TARGET_RATIO = { 32: 3, 256: 1.5 } as Record<number, number>;
const PYTHON = process.env.KTRDR_TORCH_PYTHON ?? '/usr/bin/python3';

const spec: MlpSpec = { inputs: FEATURES, hidden: [64, 32], outputs: 3, activation: 'relu', dropout: 0.2 };

function torchVersion(): string | null {
  try {
    return execFileSync(PYTHON, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return null;
  }
}

async function main(): Promise<void> {
  const version = torchVersion();
  if (version === null) {
    report({ bench: 'torch', skipped: `PyTorch is not importable from ${PYTHON} (install python3-torch, or set KTRDR_TORCH_PYTHON)` });
    return;
  }
  const backend = resolveBackend('auto');
  const data = makeSyntheticClassification(ROWS, FEATURES, 2026);
  const directory = mkdtempSync(join(tmpdir(), 'ktrdr-bench-torch-'));
  const file = join(directory, 'data.f32');
  // Features then labels, all float32: the Python side splits them with numpy.
  writeFileSync(
    file,
    Buffer.concat([Buffer.from(data.x.buffer, data.x.byteOffset, data.x.byteLength), Buffer.from(Float32Array.from(data.y).buffer)]),
  );
  const script = join(projectRoot(), 'bench', 'torch-mlp.py');
  const trainSet = { x: data.x.subarray(0, TRAIN_ROWS * FEATURES), y: data.y.subarray(0, TRAIN_ROWS), rows: TRAIN_ROWS, features: FEATURES };
  const validationSet = { x: data.x.subarray(TRAIN_ROWS * FEATURES), y: data.y.subarray(TRAIN_ROWS), rows: ROWS - TRAIN_ROWS, features: FEATURES };
  const loadBefore = loadavg()[0];
  try {
    for (const batchSize of BATCH_SIZES) {
      const ratios: number[] = [];
      const cpuRatios: number[] = [];
      const ours: number[] = [];
      const theirs: number[] = [];
      for (let repetition = 1; repetition <= REPETITIONS; repetition++) {
        const started = performance.now();
        const cpuStarted = process.cpuUsage();
        await train({ train: trainSet, validation: validationSet }, spec, {
          epochs: EPOCHS,
          batchSize,
          learningRate: 1e-3,
          seed: repetition,
          backend,
        });
        const ktrdr = (EPOCHS * TRAIN_ROWS) / ((performance.now() - started) / 1000);
        const cpu = process.cpuUsage(cpuStarted);
        const ktrdrPerCpuS = (EPOCHS * TRAIN_ROWS) / ((cpu.user + cpu.system) / 1e6);
        const args = [script, file, TRAIN_ROWS, FEATURES, EPOCHS, batchSize, repetition].map(String);
        const torch = JSON.parse(execFileSync(PYTHON, args, { encoding: 'utf8', env: { ...process.env, OMP_NUM_THREADS: '1' } })) as {
          samples_per_s: number;
          samples_per_cpu_s: number;
        };
        ours.push(ktrdr);
        theirs.push(torch.samples_per_s);
        ratios.push(ktrdr / torch.samples_per_s);
        cpuRatios.push(ktrdrPerCpuS / torch.samples_per_cpu_s);
        report({
          kind: 'run',
          batch_size: batchSize,
          seed: repetition,
          ktrdr_samples_per_s: Math.round(ktrdr),
          torch_samples_per_s: Math.round(torch.samples_per_s),
          ktrdr_samples_per_cpu_s: Math.round(ktrdrPerCpuS),
          torch_samples_per_cpu_s: Math.round(torch.samples_per_cpu_s),
        });
      }
      report({
        kind: 'summary',
        batch_size: batchSize,
        backend,
        torch: version,
        ktrdr_samples_per_s_median: Math.round(median(ours)),
        torch_samples_per_s_median: Math.round(median(theirs)),
        ratio_median: Math.round(median(ratios) * 100) / 100,
        cpu_ratio_median: Math.round(median(cpuRatios) * 100) / 100,
        target_ratio: TARGET_RATIO[batchSize],
        repetitions: REPETITIONS,
      });
    }
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
  report({ kind: 'load', load_average_1m: { before: loadBefore, after: loadavg()[0] } });
}

await main();
