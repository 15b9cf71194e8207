import { buyAndHoldEquity } from '../backtest/metrics.js';
import { benchmarkToWire, snakeKeys } from '../backtest/json.js';
import type { MarketDataSource } from '../data/repository.js';
import { parseRangeBound, formatTimestamp } from '../data/timestamp.js';
import { KtrdrError, isKtrdrError } from '../errors.js';
import { backtestModel } from '../models/model-backtest.js';
import type { ModelStore } from '../models/model-store.js';
import { toOperationError, type ExecutionMode, type Operation, type OperationError } from '../operations/operation.js';
import type { OperationStore } from '../operations/operation-store.js';
import { newOperationId } from '../trainings/operation-id.js';
import type { StartTrainingParams, TrainingService } from '../trainings/training-service.js';
import type { Logger } from '../util/logger.js';
import type { ChildEnd } from './child-trainings.js';
import { findChildren } from './children.js';
import { runParent } from './parent-run.js';
import { ParentRuns } from './parent-runs.js';
import { stitchCurves, type StitchedCurve, type WindowCurve } from './stitch.js';
import { parseDuration, walkForwardWindows, type WalkForwardWindow } from './walkforward-windows.js';

/** `ktrdr walkforward` / `POST /walkforwards` in domain terms. */
export interface StartWalkForwardParams {
  readonly strategyName: string;
  /** Calendar durations: `3y`, `6m`, `30d`. */
  readonly train: string;
  readonly test: string;
  /** @defaultValue `test` (test periods that follow each other without gap or overlap) */
  readonly step?: string;
  /** @defaultValue the strategy's training_data range, cut to the data */
  readonly startDate?: string;
  readonly endDate?: string;
  /** The symbol traded out of sample. @defaultValue the strategy's first symbol */
  readonly symbol?: string;
  readonly epochs?: number;
  readonly seed?: number;
  /** @defaultValue the local executor's slots */
  readonly maxParallel?: number;
  readonly executionMode?: ExecutionMode;
  readonly requireGpu?: boolean;
  readonly startedBy?: string;
}

/** What one window's out-of-sample backtest left, or why it has none. */
type WindowOutcome = { readonly curve: WindowCurve; readonly modelVersion: number } | { readonly error: OperationError };

/** One window as reported: its ranges, its training and its out-of-sample figures. */
export interface WindowReport {
  readonly window: WalkForwardWindow;
  readonly training: Operation | null;
  readonly outcome: WindowOutcome | null;
}

export interface WalkForwardReport {
  readonly operation: Operation;
  readonly windows: readonly WindowReport[];
  /** Once every window has ended and at least one was backtested. */
  readonly stitched: StitchedCurve | null;
}

export interface WalkForwardServiceDeps {
  readonly operations: OperationStore;
  readonly training: Pick<TrainingService, 'start' | 'cancel' | 'check' | 'localSlots'>;
  /** Read only: each window's model is loaded for its out-of-sample backtest. */
  readonly models: ModelStore;
  readonly data: MarketDataSource;
  readonly logger: Logger;
  readonly now?: () => Date;
}

const INITIAL_CAPITAL = 1;

/**
 * Walk-forward as an operation of type `walkforward`: rolling windows over the strategy's range, each an ordinary
 * training on its window (a child, `request.parent_id`), whose model is then backtested on the period that follows
 * it, out of sample. The windows' curves are stitched into one (see `stitchCurves`). Cancel and progress are those
 * of every parent operation (`runParent`).
 */
export class WalkForwardService {
  /** Per running walk-forward: each ended window's outcome, by window index. */
  private readonly runs: ParentRuns<Map<number, WindowOutcome>>;
  private readonly now: () => Date;

  constructor(private readonly deps: WalkForwardServiceDeps) {
    this.now = deps.now ?? (() => new Date());
    this.runs = new ParentRuns(deps.operations, 'walk-forwards');
  }

  async start(params: StartWalkForwardParams): Promise<Operation> {
    this.runs.refuseIfClosing();
    const durations = {
      train: parseDuration(params.train, 'train'),
      test: parseDuration(params.test, 'test'),
      step: parseDuration(params.step ?? params.test, 'step'),
    };
    const base = {
      strategyName: params.strategyName,
      epochs: params.epochs,
      seed: params.seed,
      executionMode: params.executionMode,
      requireGpu: params.requireGpu,
    };
    const { strategy } = await this.deps.training.check({ ...base, startDate: params.startDate, endDate: params.endDate });
    const symbol = params.symbol ?? strategy.trainingData.symbols[0];
    const range = await this.range(
      symbol,
      strategy.trainingData.baseTimeframe,
      params.startDate ?? strategy.trainingData.startDate,
      params.endDate ?? strategy.trainingData.endDate,
    );
    const windows = walkForwardWindows(range.start, range.end, durations);
    const starts: StartTrainingParams[] = windows.map((w) => ({
      ...base,
      startDate: formatTimestamp(w.trainStart),
      endDate: formatTimestamp(w.trainEnd),
      startedBy: params.startedBy,
    }));
    // Nothing starts unless every window's training is a valid request.
    for (const start of starts) await this.deps.training.check(start);

    const created = await this.deps.operations.create({
      id: newOperationId(this.now(), 'walkforward'),
      type: 'walkforward',
      strategy: strategy.name,
      request: {
        strategy_name: params.strategyName,
        train: params.train,
        test: params.test,
        step: params.step ?? params.test,
        start_date: formatTimestamp(range.start),
        end_date: formatTimestamp(range.end),
        symbol,
        windows: windows.map(windowJson),
        max_parallel: params.maxParallel ?? this.deps.training.localSlots(),
        ...(params.epochs !== undefined ? { epochs: params.epochs } : {}),
        ...(params.seed !== undefined ? { seed: params.seed } : {}),
        ...(params.startedBy !== undefined ? { started_by: params.startedBy } : {}),
      },
      execution: {
        requested: params.executionMode ?? 'auto',
        selected: 'local',
        reason: 'a walk-forward is scheduled by the server; each window is trained where placement puts it and backtested here',
      },
    });
    const operation = await this.deps.operations.markRunning(created.id);
    const outcomes = new Map<number, WindowOutcome>();
    const finished = runParent(
      { operations: this.deps.operations, training: this.deps.training, logger: this.deps.logger },
      {
        parent: operation,
        starts,
        maxParallel: params.maxParallel ?? this.deps.training.localSlots(),
        noun: 'windows',
        onEnd: async (end) => {
          outcomes.set(windows[end.index].index, await this.backtestWindow(end, windows[end.index], symbol));
        },
        complete: () => this.result(operation.id),
      },
    );
    this.runs.add(operation.id, outcomes, finished);
    this.deps.logger.info({ operation_id: operation.id }, `walk-forward ${operation.id} started: ${windows.length} window(s) on ${symbol}`);
    return operation;
  }

  /**
   * The per-window table and, once every window has ended, the stitched curve and its metrics (snake_case, as stored
   * on the finished operation). OPERATION_NOT_FOUND when there is no walk-forward of that id.
   */
  async report(id: string): Promise<{ operation: Operation; result: Record<string, unknown> }> {
    const operation = await this.deps.operations.get(id);
    if (operation.type !== 'walkforward')
      throw new KtrdrError('OPERATION_NOT_FOUND', `operation ${id} is a ${operation.type}, not a walk-forward`, { details: { id } });
    if (operation.result !== null && 'windows' in operation.result) return { operation, result: operation.result };
    return { operation, result: walkForwardJson(await this.liveReport(operation)) };
  }

  /** Where a running walk-forward stands: window outcomes kept in memory, window trainings found by parent. */
  private async liveReport(operation: Operation): Promise<WalkForwardReport> {
    const windows = ((operation.request.windows ?? []) as WindowJson[]).map(windowFromJson);
    const children = await findChildren(this.deps.operations, operation);
    const outcomes = this.runs.state(operation.id) ?? new Map<number, WindowOutcome>();
    const reports = windows.map((window) => ({
      window,
      training: children.find((c) => c.request.start_date === formatTimestamp(window.trainStart)) ?? null,
      outcome: outcomes.get(window.index) ?? null,
    }));
    const curves = reports.flatMap((r) => (r.outcome !== null && 'curve' in r.outcome ? [r.outcome.curve] : []));
    const allEnded = reports.every((r) => r.outcome !== null);
    return { operation, windows: reports, stitched: allEnded && curves.length > 0 ? stitchCurves(curves, INITIAL_CAPITAL) : null };
  }

  whenFinished(id: string): Promise<void> {
    return this.runs.whenFinished(id);
  }

  close(reason = 'the server shut down'): Promise<void> {
    return this.runs.close(reason);
  }

  /**
   * Where the windows start and end: the asked dates (so `2010-01-01` gives windows on calendar boundaries), the
   * first bar when none is asked, and never past the last bar.
   */
  private async range(
    symbol: string,
    timeframe: string,
    start: string | undefined,
    end: string | undefined,
  ): Promise<{ start: number; end: number }> {
    const series = await this.deps.data.load(symbol, timeframe, { start, end });
    const timestamps = series.timestamps;
    if (timestamps.length < 2) throw new KtrdrError('DATA_EMPTY_RANGE', `no ${symbol} ${timeframe} bars to walk over in the range`);
    return {
      start: start === undefined ? timestamps[0] : parseRangeBound(start, 'start'),
      end: Math.min(timestamps[timestamps.length - 1], end === undefined ? Infinity : parseRangeBound(end, 'end')),
    };
  }

  /** The window's model traded on the period after its training range: history before it only warms indicators up. */
  private async backtestWindow(end: ChildEnd, window: WalkForwardWindow, symbol: string): Promise<WindowOutcome> {
    if (end.error !== undefined) return { error: end.error };
    const training = end.operation;
    const version = training.result?.model_version;
    if (training.status !== 'completed' || typeof version !== 'number') {
      return { error: training.error ?? { code: 'CANCELLED', message: `the window's training ended ${training.status}` } };
    }
    try {
      const run = await backtestModel(this.deps.models, this.deps.data, {
        strategy: training.strategy,
        version,
        symbol,
        start: formatTimestamp(window.testStart),
        end: formatTimestamp(window.testEnd),
        settings: { initialCapital: INITIAL_CAPITAL },
      });
      const { bars, result } = run;
      return {
        modelVersion: version,
        curve: {
          timestamps: bars.timestamps,
          equity: result.equity,
          benchmark: buyAndHoldEquity(bars.open, bars.close, INITIAL_CAPITAL),
          trades: result.metrics.trades,
        },
      };
    } catch (error) {
      if (!isKtrdrError(error)) this.deps.logger.error({ err: error }, `walk-forward window ${window.index}: backtest failed`);
      return { error: toOperationError(error, 'INTERNAL') };
    }
  }

  private async result(id: string) {
    return { model_version: null, ...walkForwardJson(await this.liveReport(await this.deps.operations.get(id))) };
  }
}

interface WindowJson {
  readonly index: number;
  readonly train_start: string;
  readonly train_end: string;
  readonly test_start: string;
  readonly test_end: string;
}

function windowJson(w: WalkForwardWindow): WindowJson {
  return {
    index: w.index,
    train_start: formatTimestamp(w.trainStart),
    train_end: formatTimestamp(w.trainEnd),
    test_start: formatTimestamp(w.testStart),
    test_end: formatTimestamp(w.testEnd),
  };
}

function windowFromJson(w: WindowJson): WalkForwardWindow {
  const ms = (text: string) => parseRangeBound(text, 'start');
  return { index: w.index, trainStart: ms(w.train_start), trainEnd: ms(w.train_end), testStart: ms(w.test_start), testEnd: ms(w.test_end) };
}

/** The per-window table, the stitched metrics and the stitched curve, in snake_case: stored as the result and sent over HTTP. */
export function walkForwardJson(report: WalkForwardReport): Record<string, unknown> {
  const { stitched } = report;
  return {
    windows: report.windows.map(({ window, training, outcome }) => {
      const curve = outcome !== null && 'curve' in outcome ? outcome.curve : null;
      const own = curve === null ? null : stitchCurves([curve], INITIAL_CAPITAL);
      return {
        ...windowJson(window),
        operation_id: training?.id ?? null,
        status: training?.status ?? 'queued',
        model_version: outcome !== null && 'modelVersion' in outcome ? outcome.modelVersion : null,
        bars: curve?.timestamps.length ?? null,
        total_return: own?.metrics.totalReturn ?? null,
        sharpe: own?.metrics.sharpe ?? null,
        max_drawdown: own?.metrics.maxDrawdown ?? null,
        trades: curve?.trades ?? null,
        buy_and_hold_return: own?.benchmarkMetrics.totalReturn ?? null,
        error: outcome !== null && 'error' in outcome ? outcome.error : null,
      };
    }),
    metrics: stitched && snakeKeys(stitched.metrics),
    benchmark: stitched && benchmarkToWire(stitched.benchmarkMetrics),
    equity: stitched && {
      timestamps: Array.from(stitched.timestamps, formatTimestamp),
      equity: Array.from(stitched.equity),
      benchmark: Array.from(stitched.benchmark),
    },
  };
}
