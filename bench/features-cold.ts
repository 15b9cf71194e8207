/**
 * Part of `npm run bench:features`: the first `computeFeatures` call of a fresh process (cold: nothing compiled or
 * allocated yet), against the calls that follow (warm), on 200,000 bars of synthetic hourly data with the example
 * multi-indicator strategy. The parent starts 5 child processes, one after the other, and reports medians; each child
 * (`--child`) generates its data untimed, then times one cold and 3 warm calls. Target: cold ≤ 150 ms.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseStrategy } from '../src/config/strategy.js';
import { generateSyntheticSeries } from '../src/data/synth.js';
import { computeFeatures } from '../src/features/index.js';
import { applyOverrides } from '../src/training/overrides.js';
import { projectRoot } from '../src/util/package-info.js';
import { median, report } from './stats.js';

const BARS = Number(process.env.BENCH_BARS ?? 200_000);
const PROCESSES = Number(process.env.BENCH_RUNS ?? 5);
const WARM_CALLS = 3;
const TARGET_COLD_MS = 150;

function child(): void {
  const yaml = readFileSync(join(projectRoot(), 'strategies', 'spx_multi_indicator.yaml'), 'utf8');
  const strategy = parseStrategy(applyOverrides(yaml, { symbols: ['SYN'], timeframes: ['1h'] }));
  const series = new Map([['1h', generateSyntheticSeries({ symbol: 'SYN', timeframe: '1h', bars: BARS, seed: 5, start: '2000-01-03T00:00:00Z' })]]);
  const times: number[] = [];
  const cpuTimes: number[] = [];
  for (let call = 0; call <= WARM_CALLS; call++) {
    const started = performance.now();
    const cpuStarted = process.cpuUsage();
    const matrix = computeFeatures(strategy, series);
    times.push(performance.now() - started);
    const cpu = process.cpuUsage(cpuStarted);
    cpuTimes.push((cpu.user + cpu.system) / 1000);
    if (matrix.rows === 0) throw new Error('no feature rows');
  }
  process.stdout.write(
    JSON.stringify({ cold_ms: times[0], warm_ms: times.slice(1), cold_cpu_ms: cpuTimes[0], warm_cpu_ms: cpuTimes.slice(1) }) + '\n',
  );
}

interface ChildResult {
  cold_ms: number;
  warm_ms: number[];
  cold_cpu_ms: number;
  warm_cpu_ms: number[];
}

function parent(): void {
  const self = fileURLToPath(import.meta.url);
  const loadBefore = loadavg()[0];
  const runs = Array.from(
    { length: PROCESSES },
    () => JSON.parse(execFileSync(process.execPath, [self, '--child'], { encoding: 'utf8' })) as ChildResult,
  );
  const cold = median(runs.map((run) => run.cold_ms));
  report({
    bench: 'features_cold',
    bars: BARS,
    processes: PROCESSES,
    cold_ms_median: Math.round(cold),
    cold_ms: runs.map((run) => Math.round(run.cold_ms)),
    warm_ms_median: Math.round(median(runs.flatMap((run) => run.warm_ms))),
    // CPU time of this process (all its threads, GC included): on a loaded machine the wall figures above stretch.
    cold_cpu_ms_median: Math.round(median(runs.map((run) => run.cold_cpu_ms))),
    warm_cpu_ms_median: Math.round(median(runs.flatMap((run) => run.warm_cpu_ms))),
    target_cold_ms: TARGET_COLD_MS,
    meets_target: cold <= TARGET_COLD_MS,
    load_average_1m: { before: loadBefore, after: loadavg()[0] },
  });
}

if (process.argv.includes('--child')) child();
else parent();
