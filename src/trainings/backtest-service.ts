import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { resolveBacktestSettings, type BacktestSettings } from '../backtest/engine.js';
import { modeToWire, snakeKeys } from '../backtest/json.js';
import { removeBacktestFiles } from '../backtest/result-files.js';
import { MarketDataRepository } from '../data/repository.js';
import { resolveRange } from '../data/range.js';
import { KtrdrError, isKtrdrError } from '../errors.js';
import type { BacktestJob } from '../execution/local/backtest-protocol.js';
import { BacktestRun, type BacktestOutcome } from '../execution/local/backtest-run.js';
import { resolveWorkerFile } from '../execution/local/worker-file.js';
import { requireTradingModel } from '../models/model-backtest.js';
import type { ModelStore } from '../models/model-store.js';
import type { Operation, OperationEvent } from '../operations/operation.js';
import type { OperationStore } from '../operations/operation-store.js';
import { recordStopped } from '../operations/record-stopped.js';
import type { Logger } from '../util/logger.js';
import { newOperationId } from './operation-id.js';

/** `POST /backtests` in domain terms: a stored model, the bars to run it on, and the engine's settings. */
export interface StartBacktestParams {
  readonly strategyName: string;
  /** @defaultValue the latest version, resolved when the request is accepted */
  readonly version?: number;
  /** @defaultValue the model's first training symbol */
  readonly symbol?: string;
  /** Must be the model's base timeframe when given. */
  readonly timeframe?: string;
  readonly startDate?: string;
  readonly endDate?: string;
  readonly settings?: Partial<BacktestSettings>;
  /** The API token name that started it, recorded as `request.started_by`. */
  readonly startedBy?: string;
}

export interface BacktestServiceDeps {
  readonly operations: OperationStore;
  /** Read only: a backtest never writes a model. */
  readonly models: ModelStore;
  readonly modelsDir: string;
  readonly dataDir: string;
  /** `KTRDR_HOME/backtests`: one directory of trades and equity per operation. */
  readonly resultsDir: string;
  readonly logger: Logger;
  /** @defaultValue the compiled `backtest-worker.js` */
  readonly workerFile?: URL;
  /** Nice value of the backtest threads, as for trainings. @defaultValue 19 */
  readonly nice?: number;
  readonly now?: () => Date;
}

interface FollowedBacktest {
  /** Undefined only while the worker is being created. */
  run: BacktestRun | undefined;
  /** The run's store writes, in report order; the final transition is appended last. */
  writes: Promise<void>;
  finished: Promise<void>;
}

const EXECUTION = { requested: 'local', selected: 'local', reason: 'backtests run in a worker thread of the server' } as const;

/**
 * Backtests as operations: a request checked before anything is recorded, then one worker thread per run whose
 * progress and log lines go to the operation store. Cancel is the store's transition (`DELETE /operations/{id}`, for
 * every type): the service watches its runs' status events and terminates the worker when one is being cancelled.
 * Restart recovery needs nothing of its own: a backtest runs locally, so the start-up `failInterrupted` covers it.
 */
export class BacktestService {
  private readonly runs = new Map<string, FollowedBacktest>();
  private readonly workerFile: URL;
  private readonly now: () => Date;
  private closing = false;

  constructor(private readonly deps: BacktestServiceDeps) {
    this.now = deps.now ?? (() => new Date());
    // Resolved up front so a missing build fails at start-up, not on the first request.
    this.workerFile = deps.workerFile ?? resolveWorkerFile(undefined, 'backtest-worker.js');
  }

  /** Where the trades and the equity curve of a backtest operation are kept. */
  resultDir(id: string): string {
    return join(this.deps.resultsDir, id);
  }

  /**
   * Checks the model, version, timeframe, data files, dates and settings (a refusal records nothing), then creates
   * the operation and starts its worker.
   */
  async start(params: StartBacktestParams): Promise<Operation> {
    if (this.closing) throw new KtrdrError('SHUTTING_DOWN', 'the server is shutting down; no new backtests are accepted');
    const job = await this.resolve(params);
    const operation = await this.deps.operations.create({
      id: newOperationId(this.now(), 'backtest'),
      type: 'backtest',
      strategy: job.strategy,
      request: {
        strategy_name: job.strategy,
        version: job.version,
        symbol: job.symbol,
        timeframe: job.timeframe,
        start_date: job.start ?? null,
        end_date: job.end ?? null,
        ...givenSettings(job.settings),
        ...(params.startedBy !== undefined ? { started_by: params.startedBy } : {}),
      },
      execution: EXECUTION,
    });
    this.launch(operation, { ...job, operationId: operation.id });
    this.deps.logger.info(
      { operation_id: operation.id, strategy: job.strategy },
      `backtest ${operation.id} started: ${job.strategy} v${job.version} on ${job.symbol}`,
    );
    return operation;
  }

  /** Resolves when the operation's run (if this process runs it) has reached its terminal status. */
  async whenFinished(id: string): Promise<void> {
    await this.runs.get(id)?.finished;
  }

  /** Stops accepting backtests, cancels the running ones and waits until each is recorded as ended. */
  async close(reason = 'the server shut down'): Promise<void> {
    this.closing = true;
    const running = [...this.runs.entries()];
    for (const [id] of running) await this.deps.operations.requestCancel(id, { reason }).catch(() => undefined);
    await Promise.all(running.map(([, run]) => run.finished));
  }

  private async resolve(params: StartBacktestParams): Promise<Omit<BacktestJob, 'operationId'>> {
    const { artifact, version } = await this.deps.models.load(params.strategyName, params.version);
    requireTradingModel(artifact, version);
    const base = artifact.features.base_timeframe;
    if (params.timeframe !== undefined && params.timeframe !== base) {
      throw new KtrdrError('VALIDATION_FAILED', `model ${params.strategyName} v${version} trades on ${base} bars, not ${params.timeframe}`, {
        details: { field: 'timeframe', base_timeframe: base },
      });
    }
    const symbol = params.symbol ?? artifact.manifest.symbols[0];
    const data = new MarketDataRepository(this.deps.dataDir);
    for (const timeframe of artifact.features.timeframes) {
      await stat(data.filePath(symbol, timeframe)).catch(() => {
        throw new KtrdrError('DATA_NOT_FOUND', `no data file for ${symbol} ${timeframe}, which model ${params.strategyName} v${version} reads`, {
          details: { symbol, timeframe },
        });
      });
    }
    resolveRange({ start: params.startDate, end: params.endDate });
    const settings = Object.fromEntries(Object.entries(params.settings ?? {}).filter(([, value]) => value !== undefined));
    resolveBacktestSettings(settings);
    return { strategy: params.strategyName, version, symbol, timeframe: base, start: params.startDate, end: params.endDate, settings };
  }

  private launch(operation: Operation, job: BacktestJob): void {
    const { operations } = this.deps;
    const id = operation.id;
    const resultDir = this.resultDir(id);
    const followed: FollowedBacktest = { run: undefined, writes: Promise.resolve(), finished: Promise.resolve() };
    const enqueue = (write: () => Promise<unknown>, what: string): void => {
      followed.writes = followed.writes.then(write).then(
        () => undefined,
        (error: unknown) => this.logWriteError(id, what, error),
      );
    };
    // Subscribed before the worker exists, so a cancel can never slip between the two.
    const unsubscribe = operations.events.subscribe(id, {
      onEvent: (event: OperationEvent) => {
        if (event.kind === 'status' && event.data.to === 'cancelling') followed.run?.cancel();
      },
      onFinished: () => followed.run?.cancel(),
    });
    let run: BacktestRun;
    try {
      run = new BacktestRun({
        workerFile: this.workerFile,
        input: { job, dataDir: this.deps.dataDir, modelsDir: this.deps.modelsDir, resultDir, logLevel: 'info', nice: this.deps.nice ?? 19 },
        observer: {
          onProgress: (progress) => enqueue(() => operations.recordProgress(id, progress), 'progress'),
          onLogs: (records) => enqueue(() => operations.appendLogs(id, records), 'logs'),
        },
      });
    } catch (error) {
      unsubscribe();
      const message = `could not start a backtest worker: ${error instanceof Error ? error.message : String(error)}`;
      void operations.markFailed(id, { code: 'INTERNAL', message }).catch((e: unknown) => this.logWriteError(id, 'finish', e));
      return;
    }
    followed.run = run;
    this.runs.set(id, followed);
    enqueue(async () => {
      // Cancelled while it was pending: the subscription has already stopped the worker.
      await operations.markRunning(id, { execution: { ...operation.execution, device: 'cpu' } }).catch((error: unknown) => {
        if (!isKtrdrError(error) || (error.code !== 'OPERATION_FINISHED' && error.code !== 'INVALID_TRANSITION')) throw error;
      });
    }, 'markRunning');
    followed.finished = run.outcome
      .then((outcome) => {
        enqueue(() => this.finish(id, outcome, resultDir), 'finish');
        return Promise.all([followed.writes, run.exited]);
      })
      .then(() => undefined)
      .finally(() => {
        unsubscribe();
        this.runs.delete(id);
      });
  }

  private async finish(id: string, outcome: BacktestOutcome, resultDir: string): Promise<void> {
    const { operations, logger } = this.deps;
    if (outcome.status === 'completed') {
      // While cancelling, a result without a model ends the operation `cancelled` (the store's rule): the cancel wins.
      const operation = await operations.markCompleted(id, outcome.summary);
      if (operation.status !== 'completed') await removeBacktestFiles(resultDir);
      logger.info({ operation_id: id }, `backtest ${id} ${operation.status}`);
      return;
    }
    await removeBacktestFiles(resultDir);
    if (outcome.status === 'cancelled') {
      await recordStopped(this.deps.operations, id);
      logger.info({ operation_id: id }, `backtest ${id} cancelled`);
      return;
    }
    const failed = await operations.markFailed(id, outcome.error);
    logger.warn({ operation_id: id, error: outcome.error }, `backtest ${id} ${failed.status}: [${outcome.error.code}] ${outcome.error.message}`);
  }

  private logWriteError(id: string, what: string, error: unknown): void {
    // Progress reported after the operation ended is refused by the store; that is expected, not a fault.
    if (isKtrdrError(error) && error.code === 'OPERATION_FINISHED' && what !== 'finish') return;
    this.deps.logger.error({ operation_id: id, err: error }, `backtest ${id}: recording ${what} failed`);
  }
}

/** The settings the request named, as it named them; the effective ones (defaults filled in) are in the result. */
function givenSettings(settings: Partial<BacktestSettings>): Record<string, unknown> {
  const { mode, ...numbers } = settings;
  return { ...(mode !== undefined ? { mode: modeToWire(mode) } : {}), ...snakeKeys(numbers) };
}
