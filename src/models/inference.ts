import { parseStrategy } from '../config/strategy.js';
import type { OhlcvSeries } from '../data/ohlcv.js';
import { parseOhlcvCsv } from '../data/csv.js';
import { filterRange, resolveRange } from '../data/range.js';
import { timeframeMs } from '../data/timeframe.js';
import type { MarketDataSource } from '../data/repository.js';
import { formatTimestamp } from '../data/timestamp.js';
import { KtrdrError } from '../errors.js';
import { applyScaling, computeFeatures } from '../features/index.js';
import { CLASS_NAMES } from '../labels/label-classes.js';
import { argmaxRows, decodeWeights, predictLogits, predictProbabilities } from '../nn/index.js';
import { edgeThreshold, regressionSignal, regressionSignalRows } from './regression-signal.js';
import type { ModelArtifact } from '../training/artifact.js';
import type { ModelStore, StoredModel } from './model-store.js';

export interface Prediction {
  readonly timestamp: string;
  /** The predicted class: a trading signal (BUY, HOLD, SELL) or another labeler's class (e.g. a regime). */
  readonly signal: string;
  /** Probability of the predicted class. */
  readonly confidence: number;
  /** Per class name, in the model's class order. */
  readonly probabilities: Record<string, number>;
  /** Regression models: the predicted forward return the signal was derived from. */
  readonly predicted_return?: number;
}

export interface PredictionSet {
  readonly strategy: string;
  readonly version: number | null;
  readonly symbol: string;
  readonly timeframe: string;
  readonly predictions: Prediction[];
}

/** A model's class for each feature row: typed arrays, one entry per row (the bars whose features are complete). */
export interface Classification {
  /** Row timestamps (epoch ms): the base bar each row describes. */
  readonly timestamps: Float64Array;
  /** Index of each row's bar in the base series. */
  readonly barIndex: Int32Array;
  /** Predicted class per row (argmax), an index into `classes` (0 BUY, 1 HOLD, 2 SELL for trading models). */
  readonly signals: Uint8Array;
  /** Probability of the predicted class. */
  readonly confidence: Float64Array;
  /** Row-major class probabilities, `classes.length` per row. */
  readonly probabilities: Float32Array;
  /** The model's class names in output order. */
  readonly classes: readonly string[];
  /** Regression models: the predicted forward return per row (signals: BUY/SELL beyond the cost model's edge). */
  readonly predictedReturns?: Float32Array;
}

/**
 * A model artifact's classes on one symbol's bars: the strategy snapshot stored with the model recomputes exactly
 * the features it was trained on (same indicators, memberships, order), then the network classifies each row.
 * `series` holds every timeframe the model's features read, keyed by timeframe.
 */
export function classifyWithArtifact(artifact: ModelArtifact, series: ReadonlyMap<string, OhlcvSeries>): Classification {
  const strategy = parseStrategy(artifact.strategy_yaml, `${artifact.strategy_name} (model snapshot)`);
  const matrix = computeFeatures(strategy, series);
  const expected = artifact.features.names;
  if (matrix.names.length !== expected.length || matrix.names.some((name, i) => name !== expected[i])) {
    throw new KtrdrError('MODEL_CORRUPT', `the model's feature list does not match its strategy snapshot`, {
      details: { model: expected, strategy: matrix.names },
    });
  }
  // Raw inputs get the scaling fitted on the model's training split, exactly as its training rows did.
  if (artifact.features.normalization) applyScaling(matrix.values, matrix.rows, matrix.names, artifact.features.normalization);
  const weights = decodeWeights(artifact.model.spec, artifact.weights);
  if (artifact.labels.source === 'forward_return') {
    // One output, a return: the trading class comes from the cost model, with probability 1 (regression-signal.ts).
    const costModel = strategy.decisions.costModel;
    if (costModel === undefined) throw new KtrdrError('MODEL_CORRUPT', `the regression model's strategy snapshot has no decisions.cost_model`);
    const predictedReturns = predictLogits(weights, matrix.values, matrix.rows);
    const threshold = edgeThreshold(costModel);
    const signals = Uint8Array.from(predictedReturns, (value) => regressionSignal(value, threshold));
    const probabilities = regressionSignalRows(predictedReturns, threshold);
    const confidence = new Float64Array(matrix.rows).fill(1);
    return { timestamps: matrix.timestamps, barIndex: matrix.barIndex, signals, confidence, probabilities, classes: CLASS_NAMES, predictedReturns };
  }
  const probabilities = predictProbabilities(weights, matrix.values, matrix.rows);
  const { classes } = artifact.labels;
  const best = argmaxRows(probabilities, matrix.rows, classes.length);
  const signals = Uint8Array.from(best);
  const confidence = Float64Array.from(best, (c, r) => probabilities[r * classes.length + c]);
  return { timestamps: matrix.timestamps, barIndex: matrix.barIndex, signals, confidence, probabilities, classes };
}

/** Signals from a model artifact on one symbol's bars, one prediction per feature row (see `classifyWithArtifact`). */
export function predictWithArtifact(artifact: ModelArtifact, series: ReadonlyMap<string, OhlcvSeries>): Prediction[] {
  const { timestamps, signals, confidence, probabilities, classes, predictedReturns } = classifyWithArtifact(artifact, series);
  const width = classes.length;
  const predictions: Prediction[] = [];
  for (let r = 0; r < timestamps.length; r++) {
    const perClass: Record<string, number> = {};
    classes.forEach((name, c) => (perClass[name] = probabilities[r * width + c]));
    predictions.push({
      timestamp: formatTimestamp(timestamps[r]),
      signal: classes[signals[r]],
      confidence: confidence[r],
      probabilities: perClass,
      ...(predictedReturns && { predicted_return: predictedReturns[r] }),
    });
  }
  return predictions;
}

export interface PredictParams {
  readonly strategy: string;
  readonly version?: number;
  readonly symbol: string;
  /** Defaults to the model's base timeframe; other timeframes are not supported by a model trained on one base. */
  readonly timeframe?: string;
  readonly start?: string;
  readonly end?: string;
  /** Keep only the newest K predictions. */
  readonly last?: number;
}

/** What a stored model is run on: its symbol's bars up to `end`, every timeframe its features read. */
export interface ModelWithSeries {
  readonly stored: StoredModel;
  /** The model's base timeframe: the bars it classifies. */
  readonly base: string;
  readonly series: Map<string, OhlcvSeries>;
}

/**
 * Loads a stored model and the symbol's series its features read, from the beginning up to `end` (indicators need
 * the history before `start`; nothing after `end` is read). A timeframe other than the model's base is refused, and
 * malformed dates fail before any data is read. `verb` says what the model does there, for the message.
 */
export async function loadModelWithSeries(
  store: ModelStore,
  data: MarketDataSource,
  params: { strategy: string; version?: number; symbol: string; timeframe?: string; start?: string; end?: string },
  verb: string,
): Promise<ModelWithSeries> {
  const stored = await store.load(params.strategy, params.version);
  const base = stored.artifact.features.base_timeframe;
  if (params.timeframe !== undefined && params.timeframe !== base) {
    throw new KtrdrError('VALIDATION_FAILED', `model ${params.strategy} v${stored.version} ${verb} on ${base} bars, not ${params.timeframe}`, {
      details: { base_timeframe: base },
    });
  }
  resolveRange({ start: params.start, end: params.end });
  const series = new Map<string, OhlcvSeries>();
  for (const timeframe of stored.artifact.features.timeframes) series.set(timeframe, await data.load(params.symbol, timeframe, { end: params.end }));
  return { stored, base, series };
}

/**
 * Loads a stored model and predicts on a symbol's stored bars. Indicators need history before `start`, so data is
 * loaded from the beginning up to `end` and only the output is cut to [start, end].
 */
export async function predictFromStore(store: ModelStore, data: MarketDataSource, params: PredictParams): Promise<PredictionSet> {
  const { stored, base, series } = await loadModelWithSeries(store, data, params, 'predicts');
  const { artifact } = stored;
  const predictions = cutPredictions(predictWithArtifact(artifact, series), params);
  return { strategy: params.strategy, version: stored.version, symbol: params.symbol, timeframe: base, predictions };
}

/** Keeps predictions at or after `start`, then the newest `last` of them. */
export function cutPredictions(predictions: Prediction[], cut: { start?: string; last?: number }): Prediction[] {
  const { startMs } = resolveRange({ start: cut.start });
  const kept = predictions.filter((p) => Date.parse(p.timestamp) >= startMs);
  return cut.last === undefined ? kept : kept.slice(Math.max(0, kept.length - cut.last));
}

export interface CsvPredictParams {
  /** Shown in errors. */
  readonly file: string;
  readonly symbol: string;
  /** When given, must be the model's base timeframe. */
  readonly timeframe?: string;
  readonly start?: string;
  readonly end?: string;
  readonly last?: number;
}

/**
 * Predicts on bars from a CSV file (`ktrdr predict --data`). Only single-timeframe models qualify, and the bars must
 * be of the model's timeframe: hourly bars fed to a daily model would give confident, meaningless signals, so the
 * typical spacing of the bars is checked against the timeframe.
 */
export function predictFromCsv(stored: StoredModel, bytes: Uint8Array, params: CsvPredictParams): PredictionSet {
  const { artifact } = stored;
  const base = artifact.features.base_timeframe;
  if (artifact.features.timeframes.length > 1) {
    throw new KtrdrError('VALIDATION_FAILED', `a CSV file holds one timeframe, but this model reads ${artifact.features.timeframes.join(', ')}`, {
      hint: 'put the files in the data directory and predict by symbol',
    });
  }
  if (params.timeframe !== undefined && params.timeframe !== base) {
    throw new KtrdrError('VALIDATION_FAILED', `model ${artifact.strategy_name} v${stored.version} predicts on ${base} bars, not ${params.timeframe}`);
  }
  const series = filterRange(parseOhlcvCsv(bytes, { file: params.file, symbol: params.symbol, timeframe: base }), { end: params.end }, params.file);
  const spacing = medianSpacingMs(series.timestamps);
  if (spacing !== undefined && spacing !== timeframeMs(base)) {
    throw new KtrdrError('DATA_INVALID', `${params.file}: bars are typically ${spacing / 60_000} minutes apart, but the model was trained on ${base} bars`, {
      details: { file: params.file, median_spacing_ms: spacing, expected_ms: timeframeMs(base) },
    });
  }
  const predictions = cutPredictions(predictWithArtifact(artifact, new Map([[base, series]])), params);
  return { strategy: artifact.strategy_name, version: stored.version, symbol: params.symbol, timeframe: base, predictions };
}

/** The median gap between consecutive bars (weekend and holiday gaps do not move it); undefined below 2 bars. */
function medianSpacingMs(timestamps: Float64Array): number | undefined {
  if (timestamps.length < 2) return undefined;
  const gaps = new Float64Array(timestamps.length - 1);
  for (let i = 1; i < timestamps.length; i++) gaps[i - 1] = timestamps[i] - timestamps[i - 1];
  gaps.sort();
  return gaps[gaps.length >> 1];
}
