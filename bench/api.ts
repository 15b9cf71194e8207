/**
 * Backend API latency under training load (`npm run bench:api`).
 *
 * Starts the real server (`node dist/src/cli/main.js serve --port 0`) as its own process with a temp KTRDR_HOME and
 * two local slots, starts two long trainings, then:
 * 1. 2,000 `GET /api/v1/operations/{id}` from 20 concurrent keep-alive clients, alternating between the two running
 *    operations (records that are being written as they train): p50/p99/max latency. Target p99 < 20 ms.
 * 2. Cancel-to-`cancelled` latency: for several running trainings, the time from sending `DELETE` to receiving the
 *    `cancelled` status event on the operation's SSE stream (opened beforehand). Target median < 200 ms.
 *
 * Output: one JSON line per measurement, then a summary line.
 */
import { Agent, get } from 'node:http';
import { availableParallelism } from 'node:os';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseSse } from '../src/api/client/sse-parser.js';
import { projectRoot } from '../src/util/package-info.js';
import { median, percentile, report } from './stats.js';
import { startKtrdr } from './processes.js';
import { spxRsiStrategy } from './strategies.js';

const REQUESTS = 2000;
const CLIENTS = 20;
const CANCEL_ROUNDS = 7;
const P99_TARGET_MS = 20;
const CANCEL_TARGET_MS = 200;

const TRAINING_SECTION = `
training:
  epochs: 50000
  early_stopping: {enabled: false}
  batch_size: 32
  learning_rate: 0.001
  seed: 7
  labels: {source: zigzag, zigzag_threshold: 0.005, price: close}
`;

/**
 * The load: a realistically sized run (hourly EURUSD, two indicators on two timeframes, a 64-32 network: epochs of
 * a few hundred ms) with early stopping off, so it trains until cancelled.
 */
const REALISTIC_STRATEGY = `
name: bench_realistic
training_data: {symbols: [EURUSD], timeframes: [1h, 4h]}
indicators:
  rsi_14: {type: rsi, period: 14}
  macd: {type: macd}
fuzzy_sets:
  rsi_zone: {indicator: rsi_14, oversold: [0, 25, 40], neutral: [30, 50, 70], overbought: [60, 75, 100]}
  macd_sign: {indicator: macd, negative: [-0.01, -0.005, 0], neutral: [-0.002, 0, 0.002], positive: [0, 0.005, 0.01]}
nn_inputs:
  - {fuzzy_set: rsi_zone, timeframes: all}
  - {fuzzy_set: macd_sign, timeframes: all}
model: {type: mlp, hidden_layers: [64, 32], activation: relu, dropout: 0.1}
${TRAINING_SECTION}`;

/**
 * Worst case for the server: the tiny SPX/RSI test strategy finishes an epoch every millisecond or two, so the
 * server records thousands of epoch metrics per second while it answers.
 */
const STRESS_STRATEGY = spxRsiStrategy({ name: 'bench_stress', epochs: 50_000, learningRate: 0.001, zigzagThreshold: 0.03 });

async function json(url: string, init?: RequestInit): Promise<Record<string, unknown>> {
  const response = await fetch(url, init);
  const body = (await response.json()) as Record<string, unknown>;
  if (!response.ok) throw new Error(`${init?.method ?? 'GET'} ${url}: ${response.status} ${JSON.stringify(body)}`);
  return body;
}

async function startTraining(api: string, strategy: string): Promise<string> {
  const body = await json(`${api}/trainings/start`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ strategy_name: strategy }),
  });
  return body.operation_id as string;
}

async function waitUntilTraining(api: string, id: string): Promise<void> {
  for (;;) {
    const op = await json(`${api}/operations/${id}`);
    const progress = op.progress as { step?: string; epoch?: number } | null;
    if (op.status === 'running' && progress?.step === 'train' && (progress.epoch ?? 0) >= 2) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/**
 * node:http with a keep-alive pool rather than fetch: undici's per-request overhead in this same small machine would
 * otherwise be what gets measured.
 */
async function getLatencies(api: string, ids: readonly string[]): Promise<number[]> {
  const agent = new Agent({ keepAlive: true, maxSockets: CLIENTS });
  const once = (path: string) =>
    new Promise<number>((resolve, reject) => {
      get(`${api}${path}`, { agent }, (response) => {
        response.resume();
        response.on('end', () => resolve(response.statusCode ?? 0));
      }).on('error', reject);
    });
  for (let i = 0; i < 100; i++) await once(`/operations/${ids[i % ids.length]}`); // warm-up: sockets, JIT
  const latencies: number[] = [];
  let next = 0;
  const client = async (): Promise<void> => {
    while (next < REQUESTS) {
      const n = next++;
      const started = performance.now();
      const status = await once(`/operations/${ids[n % ids.length]}`);
      if (status !== 200) throw new Error(`GET returned ${status}`);
      latencies.push(performance.now() - started);
    }
  };
  await Promise.all(Array.from({ length: CLIENTS }, client));
  agent.destroy();
  return latencies;
}

/** Time from sending DELETE to receiving the `cancelled` status event on an already open SSE stream. */
async function cancelLatency(api: string, id: string): Promise<{ acceptedMs: number; cancelledMs: number }> {
  const response = await fetch(`${api}/operations/${id}/events`, { headers: { accept: 'text/event-stream' } });
  const messages = parseSse(response.body!);
  // Drain the replay first, so the clock starts with the stream live.
  const replayDone = (async () => {
    for (;;) {
      const { value, done } = await messages.next();
      if (done) throw new Error('stream ended early');
      const event = JSON.parse(value.data) as { kind: string; data: { to?: string; step?: string } };
      if (event.kind === 'progress' && event.data.step === 'train') return;
    }
  })();
  await replayDone;
  const sent = performance.now();
  const accepted = fetch(`${api}/operations/${id}`, { method: 'DELETE' }).then(async (r) => {
    await r.arrayBuffer();
    return performance.now() - sent;
  });
  for (;;) {
    const { value, done } = await messages.next();
    if (done) throw new Error('stream ended before the cancelled event');
    const event = JSON.parse(value.data) as { kind: string; data: { to?: string } };
    if (event.kind === 'status' && event.data.to === 'cancelled') {
      const cancelledMs = performance.now() - sent;
      return { acceptedMs: await accepted, cancelledMs };
    }
  }
}

function round(value: number, digits = 2): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

interface ScenarioResult {
  readonly p50: number;
  readonly p99: number;
  readonly cancelMedian: number;
  readonly cancelMax: number;
}

/** Two trainings of `strategy` running; GET latency under them; then cancel latency over several runs. */
async function scenario(api: string, strategy: string): Promise<ScenarioResult> {
  const ids = [await startTraining(api, strategy), await startTraining(api, strategy)];
  await Promise.all(ids.map((id) => waitUntilTraining(api, id)));
  const latencies = await getLatencies(api, ids);
  const health = await json(`${api}/health`);
  const get = {
    kind: 'get_operation',
    strategy,
    requests: latencies.length,
    clients: CLIENTS,
    trainings_running: (health.operations as { running: number }).running,
    p50_ms: round(percentile(latencies, 50)),
    p99_ms: round(percentile(latencies, 99)),
    max_ms: round(Math.max(...latencies)),
    target_p99_ms: P99_TARGET_MS,
  };
  report(get);

  const cancels: { acceptedMs: number; cancelledMs: number }[] = [];
  for (const id of ids) cancels.push(await cancelLatency(api, id));
  while (cancels.length < CANCEL_ROUNDS) {
    const id = await startTraining(api, strategy);
    await waitUntilTraining(api, id);
    cancels.push(await cancelLatency(api, id));
  }
  for (const [i, c] of cancels.entries())
    report({ kind: 'cancel', strategy, round: i + 1, delete_answered_ms: round(c.acceptedMs), cancelled_ms: round(c.cancelledMs) });
  const cancelled = cancels.map((c) => c.cancelledMs);
  return { p50: get.p50_ms, p99: get.p99_ms, cancelMedian: round(median(cancelled)), cancelMax: round(Math.max(...cancelled)) };
}

async function main(): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), 'ktrdr-bench-api-'));
  const strategies = join(root, 'strategies');
  await mkdir(strategies, { recursive: true });
  await writeFile(join(strategies, 'bench_realistic.yaml'), REALISTIC_STRATEGY);
  await writeFile(join(strategies, 'bench_stress.yaml'), STRESS_STRATEGY);
  const env = {
    KTRDR_HOME: join(root, 'home'),
    KTRDR_MODELS_DIR: join(root, 'models'),
    KTRDR_STRATEGIES_DIR: strategies,
    KTRDR_DATA_DIR: join(projectRoot(), 'data'),
    // Two slots even on a two-core machine: both trainings must really run while the server answers.
    KTRDR_LOCAL_CONCURRENCY: '2',
  };
  const { child, url } = await startKtrdr(['serve', '--port', '0', '--log-level', 'warn'], env);
  const api = `${url}/api/v1`;
  try {
    const realistic = await scenario(api, 'bench_realistic');
    const stress = await scenario(api, 'bench_stress');
    report({
      kind: 'summary',
      get_p50_ms: realistic.p50,
      get_p99_ms: realistic.p99,
      meets_p99_target: realistic.p99 < P99_TARGET_MS,
      cancel_to_cancelled_median_ms: realistic.cancelMedian,
      cancel_to_cancelled_max_ms: realistic.cancelMax,
      meets_cancel_target: realistic.cancelMedian < CANCEL_TARGET_MS,
      stress_get_p50_ms: stress.p50,
      stress_get_p99_ms: stress.p99,
      stress_cancel_to_cancelled_median_ms: stress.cancelMedian,
      cores: availableParallelism(),
      node: process.version,
    });
  } finally {
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));
    await rm(root, { recursive: true, force: true });
  }
}

await main();
