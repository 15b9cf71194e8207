/**
 * Cost of training on a host instead of locally (`npm run bench:remote`).
 *
 * Starts a real backend (`ktrdr serve`) and a real training host (`ktrdr host`) as their own processes on loopback,
 * sharing a token, with the host's data directory empty so every run also downloads (or finds cached) its series,
 * then:
 * 1. Overhead: the same small strategy and seed, alternately with `execution_mode: local` and `host`, several rounds;
 *    wall time from `POST /trainings/start` to the terminal `status` event on the operation's SSE stream (opened
 *    right after the start). Reports medians and the median of the paired differences. Target: under 1 s extra.
 * 2. Cancel latency of host runs: a long run on the host, cancelled once it trains; time from sending `DELETE` to the
 *    `cancelled` status event. Target: under 1 s.
 *
 * Output: one JSON line per measurement, then a summary line.
 */
import type { ChildProcess } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseSse } from '../src/api/client/sse-parser.js';
import { projectRoot } from '../src/util/package-info.js';
import { median, report } from './stats.js';
import { startKtrdr } from './processes.js';
import { spxRsiStrategy } from './strategies.js';

const ROUNDS = 7;
const CANCEL_ROUNDS = 5;
const OVERHEAD_TARGET_MS = 1000;
const CANCEL_TARGET_MS = 1000;
const TOKEN = 'bench-remote-token';

/** The pipeline tests' SPX/RSI strategy with 30 epochs: about a second of training, so the fixed costs show. */
const SMALL = spxRsiStrategy({ name: 'bench_small', epochs: 30, learningRate: 0.005, zigzagThreshold: 0.03 });
const LONG = spxRsiStrategy({ name: 'bench_long', epochs: 100_000, learningRate: 0.005, zigzagThreshold: 0.03 });

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  child.kill('SIGTERM');
  await new Promise((resolve) => child.once('exit', resolve));
}

async function json(url: string, init?: RequestInit): Promise<Record<string, unknown>> {
  const response = await fetch(url, init);
  const body = (await response.json()) as Record<string, unknown>;
  if (!response.ok) throw new Error(`${init?.method ?? 'GET'} ${url}: ${response.status} ${JSON.stringify(body)}`);
  return body;
}

interface StreamEvent {
  kind: string;
  data: { to?: string; epoch?: number };
}

/** The operation's SSE stream, as parsed events. */
async function* events(api: string, id: string): AsyncGenerator<StreamEvent> {
  const response = await fetch(`${api}/operations/${id}/events`, { headers: { accept: 'text/event-stream' } });
  for await (const message of parseSse(response.body!)) yield JSON.parse(message.data) as StreamEvent;
}

const TERMINAL = new Set(['completed', 'failed', 'cancelled']);

/** Start to terminal status, in ms, with where it ran. */
async function timedRun(api: string, mode: 'local' | 'host'): Promise<{ ms: number; status: string; selected: string }> {
  const started = performance.now();
  const body = await json(`${api}/trainings/start`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ strategy_name: 'bench_small', execution_mode: mode, seed: 7 }),
  });
  const id = body.operation_id as string;
  const selected = (body.execution as { selected: string }).selected;
  for await (const event of events(api, id)) {
    if (event.kind === 'status' && TERMINAL.has(event.data.to ?? '')) return { ms: performance.now() - started, status: event.data.to!, selected };
  }
  throw new Error(`the stream of ${id} ended without a terminal status`);
}

/** DELETE to the `cancelled` status event, for a host run that has trained two epochs. */
async function cancelLatency(api: string): Promise<number> {
  const body = await json(`${api}/trainings/start`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ strategy_name: 'bench_long', execution_mode: 'host' }),
  });
  const id = body.operation_id as string;
  // One stream read by hand: breaking out of a for-await would close it.
  const stream = events(api, id);
  const next = async (): Promise<StreamEvent> => {
    const { value, done } = await stream.next();
    if (done) throw new Error(`the stream of ${id} ended early`);
    return value;
  };
  for (let event = await next(); !(event.kind === 'metric' && (event.data.epoch ?? 0) >= 2); event = await next());
  const sent = performance.now();
  void fetch(`${api}/operations/${id}`, { method: 'DELETE' }).then((r) => r.arrayBuffer());
  for (let event = await next(); !(event.kind === 'status' && event.data.to === 'cancelled'); event = await next());
  return performance.now() - sent;
}

const round = (value: number) => Math.round(value * 10) / 10;

async function main(): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), 'ktrdr-bench-remote-'));
  const strategies = join(root, 'strategies');
  const hostData = join(root, 'host-data');
  await mkdir(strategies, { recursive: true });
  await mkdir(hostData, { recursive: true });
  await writeFile(join(strategies, 'bench_small.yaml'), SMALL);
  await writeFile(join(strategies, 'bench_long.yaml'), LONG);
  const host = await startKtrdr(
    ['host', '--port', '0', '--data-dir', hostData, '--cache-dir', join(root, 'host-cache'), '--concurrency', '1', '--log-level', 'warn'],
    { KTRDR_HOST_TOKEN: TOKEN, KTRDR_HOME: join(root, 'host-home') },
  );
  const backend = await startKtrdr(['serve', '--port', '0', '--log-level', 'warn'], {
    KTRDR_HOME: join(root, 'home'),
    KTRDR_MODELS_DIR: join(root, 'models'),
    KTRDR_STRATEGIES_DIR: strategies,
    KTRDR_DATA_DIR: join(projectRoot(), 'data'),
    KTRDR_LOCAL_CONCURRENCY: '1',
    KTRDR_HOSTS: host.url,
    KTRDR_HOST_TOKEN: TOKEN,
  });
  const api = `${backend.url}/api/v1`;
  try {
    // Warm-up: the first host run downloads the series into the host's cache; JIT and connections settle too.
    await timedRun(api, 'local');
    const warm = await timedRun(api, 'host');
    if (warm.selected !== 'host') throw new Error('the host was not selected: is it healthy?');
    const local: number[] = [];
    const remote: number[] = [];
    for (let i = 1; i <= ROUNDS; i++) {
      const l = await timedRun(api, 'local');
      const h = await timedRun(api, 'host');
      if (l.status !== 'completed' || h.status !== 'completed' || h.selected !== 'host') throw new Error(`round ${i}: ${JSON.stringify({ l, h })}`);
      local.push(l.ms);
      remote.push(h.ms);
      report({ kind: 'round', round: i, local_ms: round(l.ms), host_ms: round(h.ms), overhead_ms: round(h.ms - l.ms) });
    }
    const cancels: number[] = [];
    for (let i = 1; i <= CANCEL_ROUNDS; i++) {
      const ms = await cancelLatency(api);
      cancels.push(ms);
      report({ kind: 'cancel', round: i, cancelled_ms: round(ms) });
    }
    const overhead = median(remote.map((h, i) => h - local[i]));
    report({
      kind: 'summary',
      rounds: ROUNDS,
      local_median_ms: round(median(local)),
      host_median_ms: round(median(remote)),
      overhead_median_ms: round(overhead),
      meets_overhead_target: overhead < OVERHEAD_TARGET_MS,
      cancel_median_ms: round(median(cancels)),
      cancel_max_ms: round(Math.max(...cancels)),
      meets_cancel_target: Math.max(...cancels) < CANCEL_TARGET_MS,
      cores: availableParallelism(),
      node: process.version,
    });
  } finally {
    await stop(backend.child);
    await stop(host.child);
    await rm(root, { recursive: true, force: true });
  }
}

await main();
