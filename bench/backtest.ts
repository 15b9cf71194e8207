/**
 * Speed of the backtest engine (`npm run bench:backtest`): 1,000,000 bars of a seeded random walk with uniformly random
 * BUY/HOLD/SELL signals and confidences, long/short with fees, slippage and a confidence threshold (the busiest path:
 * about one reversal every few bars). Reports the median wall time of 5 `runBacktest` calls after 3 warm-up calls,
 * metrics and benchmark included, and the process CPU time of the same calls (on a shared machine wall time is inflated by
 * other load). One more call also reads `result.trades`, which replays the simulation to record the trade list.
 * Target: < 50 ms.
 */
import { loadavg } from 'node:os';
import { runBacktest } from '../src/backtest/engine.js';
import { SeededRandom } from '../src/util/random.js';
import { median, report } from './stats.js';

const BARS = 1_000_000;
const RUNS = 5;
// The engine's functions are optimised over the first calls (each long loop first compiled on-stack): time the steady state.
const WARMUP_RUNS = 3;
const TARGET_MS = 50;
const MINUTE_MS = 60_000;

function makeInputs(): Parameters<typeof runBacktest> {
  const random = new SeededRandom(2026);
  const timestamps = new Float64Array(BARS);
  const open = new Float64Array(BARS);
  const close = new Float64Array(BARS);
  const signals = new Uint8Array(BARS);
  const confidence = new Float64Array(BARS);
  let price = 100;
  for (let i = 0; i < BARS; i++) {
    timestamps[i] = Date.UTC(2020, 0, 1) + i * MINUTE_MS;
    open[i] = price * (1 + 0.0005 * random.nextGaussian());
    price = open[i] * (1 + 0.001 * random.nextGaussian());
    close[i] = price;
    signals[i] = random.nextInt(3);
    confidence[i] = 0.34 + 0.66 * random.next();
  }
  return [
    { timestamps, open, close },
    { signals, confidence },
    { mode: 'longShort', feeBps: 1, slippageBps: 0.5, confidenceThreshold: 0.4 },
  ];
}

const inputs = makeInputs();
for (let run = 0; run < WARMUP_RUNS; run++) runBacktest(...inputs);
const times: number[] = [];
const cpuTimes: number[] = [];
let trades = 0;
for (let run = 0; run < RUNS; run++) {
  const started = performance.now();
  const cpuStarted = process.cpuUsage();
  const result = runBacktest(...inputs);
  times.push(performance.now() - started);
  const cpu = process.cpuUsage(cpuStarted);
  cpuTimes.push((cpu.user + cpu.system) / 1000);
  trades = result.metrics.trades;
}
// Reading the trade list replays the simulation with a trade log: what a caller that shows every trade pays on top.
const listStarted = performance.now();
const listed = runBacktest(...inputs).trades.length;
const withTradeListMs = performance.now() - listStarted;
const medianMs = median(times);
report({
  kind: 'backtest',
  bars: BARS,
  trades,
  runs: RUNS,
  warmup_runs: WARMUP_RUNS,
  median_ms: Math.round(medianMs * 10) / 10,
  runs_ms: times.map((ms) => Math.round(ms * 10) / 10),
  cpu_median_ms: Math.round(median(cpuTimes) * 10) / 10,
  with_trade_list_ms: Math.round(withTradeListMs * 10) / 10,
  listed_trades: listed,
  target_ms: TARGET_MS,
  // Two shared cores: a load above 2 means other work took turns with this process, inflating wall and CPU time alike.
  load_avg_1m: Math.round(loadavg()[0] * 100) / 100,
  meets_target: medianMs < TARGET_MS,
  node: process.version,
});
