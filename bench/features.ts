/**
 * `npm run bench:features`: registered indicators, fuzzification of 12 fuzzy sets into the Float32 feature matrix,
 * and ZigZag labels, on 1,000,000 bars of synthetic hourly data. Two result lines: `set: "original_22"`, the 22
 * indicator families the target was set for (everything but the nine that completed the original's catalogue), and
 * `set: "all"`, every registered indicator. Target for the first: median of 5 under 1.5 s on the 2-core machine, and
 * working memory no more than 3x the input arrays.
 *
 * Memory is the peak of (ArrayBuffer bytes + heap) above the level after the input was generated, sampled after each
 * stage; the indicator columns are released one family at a time, as a memory-conscious caller would do.
 */
import { loadavg } from 'node:os';
import { generateSyntheticSeries } from '../src/data/synth.js';
import { fuzzify, type Membership } from '../src/fuzzy/membership.js';
import { listIndicators, parseIndicatorParams } from '../src/indicators/registry.js';
import type { IndicatorDefinition } from '../src/indicators/types.js';
import { zigzagSegmentLabels } from '../src/labels/zigzag-labels.js';
import { median, report } from './stats.js';

const BARS = Number(process.env.BENCH_BARS ?? 1_000_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const BLOCK = 4096;

/** The indicators added to reach the original's whole catalogue (31 types), left out of the `original_22` line. */
const CATALOGUE_COMPLETION = new Set([
  'rvi',
  'fishertransform',
  'supertrend',
  'ichimoku',
  'adline',
  'bollingerbandwidth',
  'volumeratio',
  'distancefromma',
  'squeezeintensity',
]);

/** 12 sets of 3 memberships over scale-free outputs, the kind a strategy uses. */
const SETS: { indicator: string; output: string; memberships: Membership[] }[] = [
  { indicator: 'rsi', output: 'value', memberships: tri([0, 20, 40], [30, 50, 70], [60, 80, 100]) },
  { indicator: 'stochastic', output: 'slow_k', memberships: tri([0, 10, 30], [20, 50, 80], [70, 90, 100]) },
  { indicator: 'williamsr', output: 'value', memberships: tri([-100, -90, -70], [-80, -50, -20], [-30, -10, 0]) },
  { indicator: 'cci', output: 'value', memberships: tri([-300, -150, 0], [-100, 0, 100], [0, 150, 300]) },
  { indicator: 'mfi', output: 'value', memberships: tri([0, 20, 40], [30, 50, 70], [60, 80, 100]) },
  { indicator: 'adx', output: 'adx', memberships: tri([0, 10, 25], [15, 30, 45], [35, 60, 100]) },
  { indicator: 'bbands', output: 'pct_b', memberships: tri([-0.5, 0, 0.3], [0.2, 0.5, 0.8], [0.7, 1, 1.5]) },
  { indicator: 'roc', output: 'value', memberships: tri([-2, -1, 0], [-0.5, 0, 0.5], [0, 1, 2]) },
  { indicator: 'aroon', output: 'oscillator', memberships: tri([-100, -70, 0], [-50, 0, 50], [0, 70, 100]) },
  { indicator: 'cmf', output: 'value', memberships: tri([-1, -0.3, 0], [-0.2, 0, 0.2], [0, 0.3, 1]) },
  {
    indicator: 'macd',
    output: 'histogram',
    memberships: [
      { type: 'gaussian', mean: -0.001, sigma: 0.0008 },
      { type: 'gaussian', mean: 0, sigma: 0.0005 },
      { type: 'gaussian', mean: 0.001, sigma: 0.0008 },
    ],
  },
  { indicator: 'adx', output: 'plus_di', memberships: tri([0, 10, 25], [15, 25, 35], [30, 45, 100]) },
];

function tri(...params: [number, number, number][]): Membership[] {
  return params.map(([a, b, c]) => ({ type: 'triangular', a, b, c }));
}

function memoryNow(): number {
  const usage = process.memoryUsage();
  return usage.arrayBuffers + usage.heapUsed;
}

const gc = (globalThis as { gc?: () => void }).gc;

function runOnce(
  series: ReturnType<typeof generateSyntheticSeries>,
  baseline: number,
  indicators: readonly IndicatorDefinition[],
): { ms: number; cpuMs: number; peakExtra: number; perStage: Record<string, number> } {
  let peak = 0;
  const sample = () => {
    peak = Math.max(peak, memoryNow() - baseline);
  };
  const width = SETS.length * 3;
  const perStage: Record<string, number> = { indicators: 0, fuzzy: 0, labels: 0 };
  const started = performance.now();
  const cpuStarted = process.cpuUsage();
  const matrix = new Float32Array(BARS * width);
  const scratch = new Float64Array(BLOCK);
  for (const definition of indicators) {
    let t = performance.now();
    const outputs = definition.compute(series, parseIndicatorParams(definition, {}));
    perStage.indicators += performance.now() - t;
    sample();
    t = performance.now();
    // Row blocks keep the written part of the row-major matrix in cache while each column is filled.
    for (let start = 0; start < BARS; start += BLOCK) {
      const end = Math.min(BARS, start + BLOCK);
      SETS.forEach((set, s) => {
        if (set.indicator !== definition.type) return;
        const values = outputs[set.output].subarray(start, end);
        set.memberships.forEach((membership, m) => {
          fuzzify(membership, values, scratch);
          const column = s * 3 + m;
          for (let i = start; i < end; i++) matrix[i * width + column] = scratch[i - start];
        });
      });
    }
    perStage.fuzzy += performance.now() - t;
  }
  const t = performance.now();
  const labels = zigzagSegmentLabels(series, { threshold: 0.01, price: 'close' });
  perStage.labels = performance.now() - t;
  sample();
  const ms = performance.now() - started;
  const cpu = process.cpuUsage(cpuStarted);
  if (labels.length !== BARS || matrix.length !== BARS * width) throw new Error('unexpected output size');
  return { ms, cpuMs: (cpu.user + cpu.system) / 1000, peakExtra: peak, perStage };
}

const series = generateSyntheticSeries({ symbol: 'EURUSD', timeframe: '1h', bars: BARS, seed: 11 });
const inputBytes = 6 * 8 * BARS;
const sets: [string, IndicatorDefinition[], number | null][] = [
  ['original_22', listIndicators().filter((d) => !CATALOGUE_COMPLETION.has(d.type)), 1500],
  ['all', [...listIndicators()], null],
];
for (const [name, indicators, targetMs] of sets) benchSet(name, indicators, targetMs);

function benchSet(name: string, indicators: IndicatorDefinition[], targetMs: number | null): void {
  const results: ReturnType<typeof runOnce>[] = [];
  for (let run = 0; run < RUNS; run++) {
    gc?.();
    results.push(runOnce(series, memoryNow(), indicators));
  }
  const medianMs = median(results.map((r) => r.ms));
  const peakExtra = Math.max(...results.map((r) => r.peakExtra));
  report({
    bench: 'features',
    set: name,
    bars: BARS,
    indicators: indicators.length,
    fuzzy_sets: SETS.length,
    runs: RUNS,
    median_ms: Math.round(medianMs),
    runs_ms: results.map((r) => Math.round(r.ms)),
    // CPU time of this process (all its threads): on a shared, overloaded machine the wall time above also counts
    // the time other processes held the cores, and this does not.
    median_cpu_ms: Math.round(median(results.map((r) => r.cpuMs))),
    load_average_1m: +loadavg()[0].toFixed(2),
    median_stage_ms: Object.fromEntries(Object.keys(results[0].perStage).map((k) => [k, Math.round(median(results.map((r) => r.perStage[k])))])),
    target_ms: targetMs,
    input_mb: +(inputBytes / 1e6).toFixed(1),
    feature_matrix_mb: +((BARS * SETS.length * 3 * 4) / 1e6).toFixed(1),
    peak_working_mb: +(peakExtra / 1e6).toFixed(1),
    memory_ratio: +(peakExtra / inputBytes).toFixed(2),
    memory_ratio_without_matrix: +((peakExtra - BARS * SETS.length * 3 * 4) / inputBytes).toFixed(2),
    memory_ratio_target: 3,
    gc_exposed: gc !== undefined,
  });
}
