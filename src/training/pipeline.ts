import { parseStrategy, type Strategy } from '../config/strategy.js';
import type { LoadedData } from '../data/repository.js';
import type { OhlcvSeries } from '../data/ohlcv.js';
import { resolveRange } from '../data/range.js';
import { formatTimestamp } from '../data/timestamp.js';
import { KtrdrError } from '../errors.js';
import {
  applyScaling,
  buildFeatureMatrix,
  fitScaling,
  scaledFeatures,
  computeIndicatorsByTimeframe,
  computeMembershipsByTimeframe,
  requireRows,
  requiredTimeframes,
  type FeatureMatrix,
  type IndicatorsByTimeframe,
  type MembershipsByTimeframe,
} from '../features/index.js';
import { formatLabelDistribution, isTradingClassList, labelDistribution, type LabelDistribution } from '../labels/label-classes.js';
import { computeLabels, describeLabelSpec, labelClasses } from '../labels/labeler.js';
import {
  encodeWeights,
  evaluateProbabilities,
  evaluateRegression,
  parameterCount,
  predictLogits,
  predictProbabilities,
  resolveBackend,
  specToJson,
  train,
  type CheckpointHooks,
  type EpochRecord,
  type ClassificationReport,
  type MlpSpec,
  type RegressionReport,
} from '../nn/index.js';
import { edgeThreshold, regressionSignalRows } from '../models/regression-signal.js';
import { permutationImportance } from '../nn/feature-importance.js';
import type { Logger } from '../util/logger.js';
import { packageVersion } from '../util/package-info.js';
import { assertCheckpointMatches, encodeCheckpoint, type Checkpoint, type CheckpointOrigin } from './checkpoint-format.js';
import { ARTIFACT_FORMAT, labelDescription, sha256Hex, type DataFingerprint, type ModelArtifact } from './artifact.js';
import { labelRows } from './labelled-rows.js';
import { ProgressTracker, type TrainingProgress } from './progress.js';
import { stepLine, type TrainingStepKey } from './steps.js';
import { backtestTestSplit, testBacktestToJson, testPeriodLine, testPeriodSummary, type TestBacktestJson } from './test-backtest.js';
import { chronologicalSplit, stackSplits, type SymbolDataset } from './split.js';
import { resampleByWeight } from './weighted-resample.js';

/**
 * What to train: the effective strategy text (per-run overrides and seed already applied by the caller, see
 * `applyOverrides`); it travels to hosts as content, never as a path.
 */
export interface TrainingRequest {
  readonly strategyYaml: string;
  /** Where the text came from, for error messages (a file path or `<request>`). */
  readonly strategySource?: string;
}

/** Market data as the pipeline reads it: series plus the hash of the bytes they came from (for the manifest). */
export interface TrainingDataSource {
  loadWithDigest(symbol: string, timeframe: string, range: { start?: string; end?: string }): Promise<LoadedData>;
}

/**
 * Everything about *where* a run happens, kept out of *what* it does: the same pipeline runs in a worker thread of
 * the API server and on a remote host, and only this context differs.
 */
export interface TrainingContext {
  readonly logger: Logger;
  readonly onProgress: (progress: TrainingProgress) => void;
  readonly onEpoch?: (record: EpochRecord) => void;
  readonly signal: AbortSignal;
  readonly data: TrainingDataSource;
  readonly execution: { readonly mode: 'local' | 'host'; readonly device: string; readonly host?: string };
  readonly operationId?: string | null;
  /** Cores the executor granted this run: the most threads training may use (`training.threads` may ask for fewer). Default 1. */
  readonly threads?: number;
  readonly now?: () => number;
  /**
   * Called before every step and at every batch. A worker thread whose event loop is busy training cannot receive a
   * cancel message, so its runner uses this hook to look at a shared flag and abort `signal` itself.
   */
  readonly tick?: () => void;
  /** Where this run's checkpoints are kept; without it the run neither resumes nor saves any. */
  readonly checkpoint?: CheckpointSink;
}

/**
 * The run's checkpoints, wherever they are kept (a local directory; a training host's directory that also pushes each
 * one to the backend). The pipeline decides when to save and checks what it resumes from; the sink only stores.
 */
export interface CheckpointSink {
  /** The newest usable checkpoint of this run, or null to train from the start. */
  latest(): Promise<Checkpoint | null>;
  /** Stores one checkpoint; `bytes` is its encoded form (`encodeCheckpoint`). */
  save(checkpoint: Checkpoint, bytes: Uint8Array): Promise<void>;
}

export interface TrainingResult {
  readonly artifact: ModelArtifact;
}

/** Fewest complete rows a symbol must keep after warm-up for a chronological three-way split to mean anything. */
const MIN_ROWS_PER_SYMBOL = 30;
/** At most this often (ms) a batch turns into a progress event; step changes and epoch ends always do. */
const PROGRESS_INTERVAL_MS = 100;

/**
 * The one training pipeline: strategy text + market data → trained, evaluated model artifact. It never writes to
 * disk; persisting the artifact is the caller's job (the backend's model store is the single writer).
 */
export async function runTraining(request: TrainingRequest, ctx: TrainingContext): Promise<TrainingResult> {
  const now = ctx.now ?? Date.now;
  const { logger, signal } = ctx;
  const tracker = new ProgressTracker(ctx.onProgress, now);
  const durations: Record<string, number> = {};
  const runStarted = now();
  let stepStarted = runStarted;
  let currentStep: TrainingStepKey | undefined;

  const step = (key: TrainingStepKey): void => {
    ctx.tick?.();
    throwIfCancelled(signal);
    const at = now();
    if (currentStep) durations[currentStep] = at - stepStarted;
    currentStep = key;
    stepStarted = at;
    const line = stepLine(key);
    logger.info(line);
    tracker.startStep(key, line);
  };

  // 1. Validate
  step('validate');
  const strategy = parseStrategy(request.strategyYaml, request.strategySource ?? '<request>');
  const { trainingData, training } = strategy;
  const timeframes = requiredTimeframes(strategy);
  logger.debug(
    { strategy: strategy.name, symbols: trainingData.symbols, timeframes, seed: training.seed },
    `Strategy ${strategy.name}: ${trainingData.symbols.length} symbol(s), timeframes ${timeframes.join(', ')}, seed ${training.seed}`,
  );
  for (const warning of strategy.warnings) logger.warn(`${warning.path}: ${warning.message}`);

  // 2. Load data
  step('load_data');
  // Everything up to `end` is read: the bars before `start` warm the indicators up (as they will at prediction time)
  // and are cut off after the features are built, so training rows are exactly the bars in [start, end].
  const { startMs } = resolveRange({ start: trainingData.startDate, end: trainingData.endDate });
  const range = { end: trainingData.endDate };
  const fingerprints: DataFingerprint[] = [];
  const seriesBySymbol = new Map<string, Map<string, OhlcvSeries>>();
  for (const symbol of trainingData.symbols) {
    const frames = new Map<string, OhlcvSeries>();
    for (const timeframe of timeframes) {
      throwIfCancelled(signal);
      const loaded = await ctx.data.loadWithDigest(symbol, timeframe, range);
      const bars = loaded.series.timestamps.length;
      frames.set(timeframe, loaded.series);
      fingerprints.push({
        symbol,
        timeframe,
        sha256: loaded.sha256,
        bars,
        first: formatTimestamp(loaded.series.timestamps[0]),
        last: formatTimestamp(loaded.series.timestamps[bars - 1]),
      });
      logger.debug(
        `${symbol} ${timeframe}: ${bars} bars (${formatTimestamp(loaded.series.timestamps[0])} .. ${formatTimestamp(loaded.series.timestamps[bars - 1])})`,
      );
    }
    seriesBySymbol.set(symbol, frames);
  }

  // Steps 3-5 are the one feature path that prediction runs whole (`computeFeatures`); here each stage is a step of
  // its own, for all symbols, so that progress and logs show where the time goes.
  // 3. Indicators
  step('indicators');
  const indicatorsBySymbol = new Map<string, IndicatorsByTimeframe>();
  for (const [symbol, frames] of seriesBySymbol) {
    throwIfCancelled(signal);
    const perTimeframe = computeIndicatorsByTimeframe(strategy, frames);
    indicatorsBySymbol.set(symbol, perTimeframe);
    logger.debug(`${symbol}: ${[...perTimeframe.values()].reduce((n, c) => n + c.size, 0)} indicator columns on ${perTimeframe.size} timeframe(s)`);
  }

  // 4. Fuzzy memberships
  step('fuzzy');
  const membershipsBySymbol = new Map<string, MembershipsByTimeframe>();
  for (const [symbol, indicators] of indicatorsBySymbol) membershipsBySymbol.set(symbol, computeMembershipsByTimeframe(strategy, indicators));
  indicatorsBySymbol.clear();

  // 5. Features
  step('features');
  const matrices = new Map<string, FeatureMatrix>();
  for (const [symbol, frames] of seriesBySymbol) {
    throwIfCancelled(signal);
    const base = frames.get(trainingData.baseTimeframe)!;
    if (!base.timestamps.some((t) => t >= startMs)) {
      throw new KtrdrError(
        'DATA_EMPTY_RANGE',
        `${symbol} ${trainingData.baseTimeframe}: no bars between ${trainingData.startDate} and ${trainingData.endDate ?? 'the end of the data'}`,
      );
    }
    const matrix = buildFeatureMatrix(strategy, frames, membershipsBySymbol.get(symbol)!, { startMs });
    requireRows(matrix, symbol, MIN_ROWS_PER_SYMBOL);
    matrices.set(symbol, matrix);
    logger.debug(`${symbol}: ${matrix.rows} rows x ${matrix.names.length} features (${matrix.droppedRows} warm-up rows dropped)`);
  }
  membershipsBySymbol.clear();
  const featureNames = [...matrices.values()][0].names;

  // 6. Labels, per symbol on its own base series (never one symbol's labels on another's rows)
  step('labels');
  const regression = strategy.decisions.outputFormat === 'regression';
  const labelClassList = labelClasses(training.labels.source);
  // Validation pairs them: a regression model has a real-valued target (no classes), a classifier a class list.
  if ((labelClassList === null) !== regression)
    throw new Error(`${training.labels.source} labels do not fit a ${strategy.decisions.outputFormat} model`);
  const classes = labelClassList ?? [];
  logger.debug(`Labels: ${describeLabelSpec(training.labels)}`);
  const datasets: SymbolDataset[] = [];
  for (const [symbol, matrix] of matrices) {
    const base = seriesBySymbol.get(symbol)!.get(trainingData.baseTimeframe)!;
    const { matrix: rows, values, lastBarRead, weights, unlabelledRows } = labelRows(matrix, computeLabels(base, training.labels));
    if (unlabelledRows > 0) {
      logger.debug(
        `${symbol}: ${unlabelledRows} rows without a label dropped (their label needs bars after the data, or the labeler leaves the bar out)`,
      );
      requireRows(rows, symbol, MIN_ROWS_PER_SYMBOL);
    }
    const labels = regression ? values : Uint8Array.from(values);
    datasets.push({ symbol, matrix: rows, labels, ...(lastBarRead && { lastBarRead }), ...(weights && { weights }) });
    if (!regression) logger.debug(`${symbol}: label distribution ${formatLabelDistribution(labelDistribution(labels, classes))}`);
  }
  const stackedLabels = regression
    ? new Float64Array(datasets.reduce((n, d) => n + d.labels.length, 0))
    : new Uint8Array(datasets.reduce((n, d) => n + d.labels.length, 0));
  let offset = 0;
  for (const { labels } of datasets) {
    stackedLabels.set(labels, offset);
    offset += labels.length;
  }
  const distribution = stackedLabels instanceof Float64Array ? targetSigns(stackedLabels) : labelDistribution(stackedLabels, classes);
  logger.info(regression ? `Target signs: ${formatLabelDistribution(distribution)}` : `Label distribution: ${formatLabelDistribution(distribution)}`);
  const unlabelledRows = [...matrices.values()].reduce((n, m) => n + m.rows, 0) - stackedLabels.length;

  // 7. Split: chronological within each symbol, then stacked, so no split sees another's future
  step('split');
  const symbolSplits = datasets.map((d) => chronologicalSplit(d, training.dataSplit));
  const stacked = stackSplits(symbolSplits, featureNames.length);
  const purgedRows = symbolSplits.reduce((n, s) => n + s.purged.train + s.purged.validation, 0);
  if (purgedRows > 0) logger.info(`Purged ${purgedRows} rows whose labels read bars of the next split`);
  // Raw inputs are scaled with statistics of the training rows only, before any resampling repeats some of them.
  const scaling = fitScaling(stacked.train.x, stacked.train.rows, featureNames, scaledFeatures(strategy));
  for (const part of [stacked.train, stacked.validation, stacked.test]) applyScaling(part.x, part.rows, featureNames, scaling);
  if (scaling.length > 0) logger.debug(`Scaled ${scaling.length} raw input(s) with training-split statistics`);
  const splits = stacked.trainWeights ? { ...stacked, train: resampleByWeight(stacked.train, stacked.trainWeights, training.seed) } : stacked;
  if (stacked.trainWeights) logger.debug(`Training rows redrawn by label uniqueness (${splits.train.rows} draws)`);
  logger.info(`Data splits - Train: ${splits.train.rows}, Val: ${splits.validation.rows}, Test: ${splits.test.rows}`);
  if (splits.train.rows === 0 || splits.validation.rows === 0 || splits.test.rows === 0) {
    throw new KtrdrError(
      'DATA_INSUFFICIENT',
      `a split is empty (train ${splits.train.rows}, validation ${splits.validation.rows}, test ${splits.test.rows})`,
      {
        hint: 'widen the date range or change training.data_split',
      },
    );
  }

  // 8. Model
  step('build_model');
  const spec: MlpSpec = {
    inputs: featureNames.length,
    hidden: [...strategy.model.hiddenLayers],
    outputs: regression ? 1 : classes.length,
    activation: strategy.model.activation,
    dropout: strategy.model.dropout,
  };
  logger.debug(
    `MLP ${[spec.inputs, ...spec.hidden, spec.outputs].join(' -> ')} (${strategy.model.activation}, dropout ${spec.dropout}), ${parameterCount(spec)} parameters`,
  );

  // 9. Train
  step('train');
  let lastEmit = 0;
  let lastEpoch: EpochRecord | undefined;
  const epochs = training.epochs;
  const origin: CheckpointOrigin = {
    operationId: ctx.operationId ?? null,
    strategySha256: strategy.source.sha256,
    dataSha256: fingerprints.map((f) => f.sha256),
    packageVersion: packageVersion(),
  };
  const resumeFrom = ctx.checkpoint === undefined ? null : await ctx.checkpoint.latest();
  if (resumeFrom !== null) {
    assertCheckpointMatches(resumeFrom, origin);
    logger.info(`Resuming from checkpoint at epoch ${resumeFrom.state.epochsDone}/${epochs}`);
    // Replayed, because a process killed after saving a checkpoint may not have recorded the epochs before it; the
    // operation store keeps one record per epoch, so the ones it has are not recorded twice.
    for (const record of resumeFrom.state.history) ctx.onEpoch?.({ ...record });
  }
  const result = await train(
    { train: splits.train, validation: splits.validation },
    spec,
    {
      epochs,
      batchSize: training.batchSize,
      learningRate: training.learningRate,
      optimizer: training.optimizer,
      ...(training.momentum !== undefined && { momentum: training.momentum }),
      weightDecay: training.weightDecay,
      loss: training.loss,
      ...(training.lrScheduler !== undefined && { lrScheduler: training.lrScheduler }),
      gradientClip: training.gradientClip,
      classWeights: regression
        ? 'none'
        : training.classWeights === 'auto' || training.classWeights === 'none'
          ? training.classWeights
          : [...training.classWeights],
      earlyStopping: { ...training.earlyStopping },
      seed: training.seed,
      // wasm-simd trains with cross-entropy only: `auto` picks js-cpu for any other loss.
      backend: resolveBackend(training.backend === 'auto' && training.loss.kind !== 'cross_entropy' ? 'js-cpu' : training.backend),
      threads: runThreads(training.threads, ctx.threads),
    },
    {
      signal,
      onBatch: (epoch, batch, totalBatches) => {
        ctx.tick?.();
        const at = now();
        if (batch !== totalBatches && at - lastEmit < PROGRESS_INTERVAL_MS) return;
        lastEmit = at;
        tracker.trainingProgress({
          fraction: ((epoch - 1) * totalBatches + batch) / (epochs * totalBatches),
          message: `Epoch ${epoch}/${epochs}, batch ${batch}/${totalBatches}`,
          epoch,
          total_epochs: epochs,
          batch,
          total_batches: totalBatches,
          metrics: lastEpoch && epochMetrics(lastEpoch),
        });
      },
      onEpoch: (record) => {
        lastEpoch = record;
        logger.debug(
          `Epoch ${record.epoch}/${epochs}: Train Loss: ${record.train_loss.toFixed(4)}, Train Acc: ${record.train_accuracy.toFixed(4)}, Val Loss: ${record.val_loss.toFixed(4)}, Val Acc: ${record.val_accuracy.toFixed(4)}`,
        );
        ctx.onEpoch?.(record);
      },
      checkpoints:
        ctx.checkpoint &&
        checkpointHooks(ctx.checkpoint, training.checkpoint, { origin, strategyYaml: request.strategyYaml, totalEpochs: epochs }, now),
    },
    resumeFrom?.state,
  );
  if (result.stoppedEarly) logger.info(`Early stopping after epoch ${result.history.length}; keeping the weights of epoch ${result.bestEpoch}`);

  // 10. Evaluate
  step('evaluate');
  // A regression model's signals are its predicted returns against the cost model's edge, as one-hot trading rows.
  const threshold = regression ? edgeThreshold(strategy.decisions.costModel!) : 0;
  const testPredictions = regression ? predictLogits(result.weights, splits.test.x, splits.test.rows) : null;
  const probabilities = testPredictions
    ? regressionSignalRows(testPredictions, threshold)
    : predictProbabilities(result.weights, splits.test.x, splits.test.rows);
  let test: ClassificationReport | RegressionReport;
  if (testPredictions) {
    const report = evaluateRegression(testPredictions, splits.test.y);
    test = report;
    logger.info(
      `Test MSE ${report.mse.toExponential(4)} (zero-return baseline ${report.baseline.mse.toExponential(4)}), MAE ${report.mae.toExponential(4)} (${report.baseline.mae.toExponential(4)}), ` +
        `R² ${report.r2.toFixed(4)} (${report.baseline.r2.toFixed(4)}), directional accuracy ${report.directional_accuracy.toFixed(4)} (always ${report.majority_class}: ${report.baseline_accuracy.toFixed(4)}), IC ${report.information_coefficient.toFixed(4)}`,
    );
  } else {
    const report = evaluateProbabilities(probabilities, splits.test.y, classes.length, { classNames: classes });
    test = report;
    logger.info(
      `Test accuracy: ${report.accuracy.toFixed(4)}, Test loss: ${report.loss.toFixed(4)} (majority-class baseline ${report.baseline_accuracy.toFixed(4)}, predicting ${report.majority_class})`,
    );
  }
  // On the validation split: the test split stays for the unbiased figures above.
  const importance =
    training.importanceRepeats > 0
      ? permutationImportance(result.weights, splits.validation, featureNames, { repeats: training.importanceRepeats, seed: training.seed })
      : undefined;
  if (importance) {
    const top = importance.slice(0, 3).map((entry) => `${entry.feature} ${entry.loss_increase.toFixed(4)}`);
    logger.info(`Feature importance (validation loss increase when shuffled): ${top.join(', ')}${importance.length > 3 ? ', ...' : ''}`);
  }

  // 11. Backtest: the test period traded on the model's own signals, next to buy-and-hold (trading classes only)
  step('backtest');
  let backtest: TestBacktestJson | undefined;
  let validationBacktest: TestBacktestJson | undefined;
  if (regression || isTradingClassList(classes)) {
    const splitRows = (part: 'validation' | 'test') =>
      symbolSplits.map((split) => ({
        symbol: split.dataset.symbol,
        base: seriesBySymbol.get(split.dataset.symbol)!.get(trainingData.baseTimeframe)!,
        barIndex: split.dataset.matrix.barIndex.subarray(split[part][0], split[part][1]),
      }));
    const backtestSettings = { confidenceThreshold: strategy.decisions.confidenceThreshold ?? 0 };
    backtest = testBacktestToJson(backtestTestSplit(splitRows('test'), probabilities, backtestSettings));
    logger.info(testPeriodLine(testPeriodSummary(backtest), backtest.symbols.length));
    // The validation period traded too, apart from the test report: a sweep ranks by it and never sees the test period.
    const validationProbabilities = regression
      ? regressionSignalRows(predictLogits(result.weights, splits.validation.x, splits.validation.rows), threshold)
      : predictProbabilities(result.weights, splits.validation.x, splits.validation.rows);
    validationBacktest = testBacktestToJson(backtestTestSplit(splitRows('validation'), validationProbabilities, backtestSettings));
  } else {
    logger.info(`No test-period backtest: ${training.labels.source} classes (${classes.join(', ')}) are not trading signals`);
  }

  // 12. Package
  step('package');
  const weights = encodeWeights(result.weights);
  durations[currentStep!] = now() - stepStarted;
  durations.total = now() - runStarted;
  const artifact: ModelArtifact = {
    format: ARTIFACT_FORMAT,
    strategy_name: strategy.name,
    model: { type: 'mlp', spec: specToJson(spec), parameter_count: parameterCount(spec) },
    weights,
    features: { names: featureNames, base_timeframe: trainingData.baseTimeframe, timeframes, ...(scaling.length > 0 && { normalization: scaling }) },
    labels: labelDescription(training.labels, classes, distribution.counts, unlabelledRows),
    metrics: {
      history: result.history.map((r) => ({ ...r })),
      best_epoch: result.bestEpoch,
      stopped_early: result.stoppedEarly,
      test: { ...test },
      split: { train: splits.train.rows, validation: splits.validation.rows, test: splits.test.rows, ...(purgedRows > 0 && { purged: purgedRows }) },
      ...(backtest && { backtest }),
      ...(validationBacktest && { validation_backtest: validationBacktest }),
      ...(importance && { feature_importance: importance }),
    },
    manifest: {
      strategy_name: strategy.name,
      strategy_sha256: strategy.source.sha256,
      data: fingerprints,
      symbols: [...trainingData.symbols],
      timeframes,
      start_date: trainingData.startDate ?? null,
      end_date: trainingData.endDate ?? null,
      seed: training.seed,
      training_backend: result.backend,
      training_threads: result.threads,
      package_version: packageVersion(),
      execution: { ...ctx.execution },
      durations_ms: durations,
      created_at: new Date(now()).toISOString(),
      operation_id: ctx.operationId ?? null,
      weights_sha256: sha256Hex(weights),
    },
    strategy_yaml: request.strategyYaml,
  };
  tracker.complete(`Training complete: test ${regression ? 'directional accuracy' : 'accuracy'} ${test.accuracy.toFixed(4)}`);
  return { artifact };
}

/** A regression target's counts by sign, the distribution a model file records in place of class counts. */
function targetSigns(targets: Float64Array): LabelDistribution {
  const counts = { up: 0, down: 0, flat: 0 };
  for (const value of targets) counts[value > 0 ? 'up' : value < 0 ? 'down' : 'flat']++;
  const total = targets.length;
  const fraction = (n: number): number => (total === 0 ? 0 : n / total);
  return { total, counts, fractions: { up: fraction(counts.up), down: fraction(counts.down), flat: fraction(counts.flat) } };
}

/**
 * The checkpoint policy: after `everyEpochs` epochs or `everySeconds` seconds since the last save (or the start),
 * whichever comes first, and on cancel (graceful shutdown cancels too), so a stopped run can be resumed.
 */
function checkpointHooks(
  sink: CheckpointSink,
  policy: Strategy['training']['checkpoint'],
  run: Omit<Checkpoint, 'createdAt' | 'state'>,
  now: () => number,
): CheckpointHooks {
  let savedEpoch = 0;
  let savedAt = now();
  return {
    due: (epoch) => epoch - savedEpoch >= policy.everyEpochs || now() - savedAt >= policy.everySeconds * 1000,
    save: async (state) => {
      const checkpoint: Checkpoint = { ...run, createdAt: new Date(now()).toISOString(), state };
      await sink.save(checkpoint, encodeCheckpoint(checkpoint));
      savedEpoch = state.epochsDone;
      savedAt = now();
    },
  };
}

function epochMetrics(record: EpochRecord): TrainingProgress['metrics'] {
  return { train_loss: record.train_loss, train_accuracy: record.train_accuracy, val_loss: record.val_loss, val_accuracy: record.val_accuracy };
}

/**
 * Threads the run trains with: what the strategy asks for (`training.threads`), never more than the cores the executor
 * granted (`granted`, default 1); unset, all of them. The weights are the same for any value (wasm-simd-backend.ts).
 */
export function runThreads(asked: number | undefined, granted = 1): number {
  return Math.min(asked ?? granted, granted);
}

function throwIfCancelled(signal: AbortSignal): void {
  if (signal.aborted) throw new KtrdrError('CANCELLED', 'training cancelled');
}

export type { Strategy };
