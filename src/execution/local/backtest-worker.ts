/**
 * Entry point of a backtest worker thread: loads a stored model and its bars, runs `backtestModel`, writes the trades
 * and the equity curve, and reports through `postMessage`. Loaded as compiled JS (see `worker-file.ts`). A backtest
 * has no checkpoints to look at a cancel flag: the main thread terminates the thread instead.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { modeToWire } from '../../backtest/json.js';
import { writeBacktestFiles } from '../../backtest/result-files.js';
import { MarketDataRepository } from '../../data/repository.js';
import { backtestModel, backtestRunSummary } from '../../models/model-backtest.js';
import { FileModelStore } from '../../models/model-store.js';
import { toOperationError } from '../../operations/operation.js';
import { createRecordingLogger } from '../../util/logger.js';
import { BACKTEST_PHASES, type BacktestWorkerInput, type BacktestWorkerMessage } from './backtest-protocol.js';
import { ReportBuffer } from './report-buffer.js';
import { lowerThreadPriority } from './thread-priority.js';

const port = parentPort;
if (port === null) throw new Error('backtest-worker.js must be started as a worker thread');

const input = workerData as BacktestWorkerInput;
const { job } = input;
lowerThreadPriority(input.nice);
const post = (message: BacktestWorkerMessage): void => port.postMessage(message);
const reports = new ReportBuffer((batch) => post({ type: 'reports', reports: batch }));
const idleFlush = setInterval(() => reports.flushIfDue(), 50);
const logger = createRecordingLogger((record) => reports.log(record), input.logLevel);
const total = BACKTEST_PHASES.length;

function phase(index: number, detail = ''): void {
  const { step, title, percent } = BACKTEST_PHASES[index];
  logger.info(`Step ${index + 1}/${total}: ${title}${detail}`);
  reports.progress({ percent, step, step_index: index, total_steps: total, message: title });
}

const pct = (value: number | null): string => (value === null ? '-' : `${(value * 100).toFixed(2)}%`);

try {
  phase(0, ` (${job.strategy} v${job.version}, ${job.symbol})`);
  const run = await backtestModel(
    new FileModelStore(input.modelsDir),
    new MarketDataRepository(input.dataDir),
    {
      strategy: job.strategy,
      version: job.version,
      symbol: job.symbol,
      timeframe: job.timeframe,
      start: job.start,
      end: job.end,
      settings: job.settings,
    },
    { onPhase: (name, info) => (name === 'features' ? phase(1) : phase(2, info.bars === undefined ? '' : ` on ${info.bars} bars`)) },
  );
  const { metrics, benchmark, settings, trades } = run.result;
  logger.info(
    `${modeToWire(settings.mode)}: total return ${pct(metrics.totalReturn)} (buy and hold ${pct(benchmark.totalReturn)}), ` +
      `max drawdown ${pct(metrics.maxDrawdown)}, ${trades.length} trade(s)`,
  );
  phase(3);
  await writeBacktestFiles(input.resultDir, run.bars.timestamps, run.result);
  const last = BACKTEST_PHASES[total - 1];
  reports.progress({ percent: 100, step: last.step, step_index: total - 1, total_steps: total, message: 'Backtest complete' });
  reports.flush();
  post({ type: 'completed', summary: { model_version: null, ...backtestRunSummary(run), trades: trades.length } });
} catch (error) {
  logger.error(`backtest failed: ${error instanceof Error ? error.message : String(error)}`);
  reports.flush();
  post({ type: 'failed', error: toOperationError(error, 'INTERNAL') });
}

clearInterval(idleFlush);
