/**
 * `npm run bench:pipeline`: the example multi-indicator strategy on 100,000 bars of synthetic hourly data, 10 epochs:
 * the whole `runTraining` wall time, broken down by step (median of 3 runs).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatOhlcvCsv } from '../src/data/csv.js';
import { filterRange } from '../src/data/range.js';
import { generateSyntheticSeries } from '../src/data/synth.js';
import { sha256Hex } from '../src/training/artifact.js';
import { runTraining, type TrainingDataSource } from '../src/training/pipeline.js';
import { applyOverrides } from '../src/training/overrides.js';
import { silentLogger } from '../src/util/logger.js';
import { projectRoot } from '../src/util/package-info.js';
import { median, report } from './stats.js';

const BARS = Number(process.env.BENCH_BARS ?? 100_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const EPOCHS = Number(process.env.BENCH_EPOCHS ?? 10);

const series = generateSyntheticSeries({ symbol: 'SYN', timeframe: '1h', bars: BARS, seed: 5, start: '2000-01-03T00:00:00Z' });
const digest = sha256Hex(formatOhlcvCsv(series));
const data: TrainingDataSource = {
  async loadWithDigest(_symbol, _timeframe, range) {
    return { series: filterRange(series, range), file: '<memory>', sha256: digest };
  },
};

const strategyYaml = readFileSync(join(projectRoot(), 'strategies', 'spx_multi_indicator.yaml'), 'utf8');
const runs: Record<string, number>[] = [];
let rows = 0;
for (let run = 0; run < RUNS; run++) {
  const started = performance.now();
  const { artifact } = await runTraining(
    { strategyYaml: applyOverrides(strategyYaml, { symbols: ['SYN'], timeframes: ['1h'], epochs: EPOCHS }) },
    { logger: silentLogger(), onProgress: () => undefined, signal: new AbortController().signal, data, execution: { mode: 'local', device: 'cpu' } },
  );
  rows = artifact.metrics.split.train;
  runs.push({ ...artifact.manifest.durations_ms, wall: performance.now() - started, epochs_run: artifact.metrics.history.length });
}
const keys = Object.keys(runs[0]);
report({
  bench: 'pipeline',
  strategy: 'spx_multi_indicator (on synthetic 1h)',
  bars: BARS,
  train_rows: rows,
  epochs: EPOCHS,
  runs: RUNS,
  median_ms: Object.fromEntries(keys.map((k) => [k, Math.round(median(runs.map((r) => r[k])))])),
});
