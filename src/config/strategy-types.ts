import type { FuzzySetDefinition } from '../fuzzy/fuzzy-set.js';
import type { LabelSpec } from '../labels/labeler.js';
import { findIndicator, listIndicators } from '../indicators/registry.js';
import type { Conventions } from '../indicators/ktrdr-conventions.js';
import type { IndicatorDefinition } from '../indicators/types.js';
import type { TrainingLoss } from '../nn/loss.js';
import type { LrSchedulerConfig } from '../nn/lr-scheduler.js';
import type { OptimizerKind } from '../nn/optimizers.js';
import type { StrategyProblem } from './problems.js';
import type { Activation } from './strategy.schema.js';

/** The normalised, typed strategy every later stage consumes (`parseStrategy` builds it). */

export interface StrategyIndicator {
  /** The id from the file, e.g. `rsi_14`. */
  readonly id: string;
  /** Canonical registry name (lower case, aliases resolved), e.g. `bbands`. */
  readonly type: string;
  /** Parsed by the indicator's own schema: validated, defaults filled. */
  readonly params: Readonly<Record<string, unknown>>;
  /** Output names, primary first. */
  readonly outputs: readonly string[];
}

export interface StrategyFuzzySet extends FuzzySetDefinition {
  /** The indicator this set reads. */
  readonly indicatorId: string;
  /** The output it reads; always explicit (the primary output when the file named only the indicator). */
  readonly output: string;
}

/** One `nn_inputs` entry: a fuzzy set's memberships or a raw indicator value (tell them apart with `'fuzzySet' in`). */
export type StrategyNnInput = StrategyFuzzyInput | StrategyRawInput;

export interface StrategyFuzzyInput {
  readonly fuzzySet: string;
  /** Explicit list (`all` resolved to training_data.timeframes, in that order). */
  readonly timeframes: readonly string[];
}

export type Normalization = 'minmax' | 'zscore' | 'none';

export interface StrategyRawInput {
  /** The reference as written (`id` or `id.output`); it names the feature, `{timeframe}_{ref}_raw`. */
  readonly rawIndicator: string;
  readonly indicatorId: string;
  /** Always explicit (the primary output for a bare id). */
  readonly output: string;
  readonly timeframes: readonly string[];
  readonly normalization: Normalization;
}

export interface StrategyTrainingData {
  readonly symbols: readonly string[];
  /** In file order. */
  readonly timeframes: readonly string[];
  /** Always set: the file's value, or the highest-frequency timeframe. */
  readonly baseTimeframe: string;
  /** ISO date or date-time as written; inclusive (see `parseRangeBound`). */
  readonly startDate?: string;
  readonly endDate?: string;
  readonly historyRequired?: number;
}

export interface StrategyModel {
  readonly type: 'mlp';
  readonly hiddenLayers: readonly number[];
  readonly activation: Activation;
  readonly dropout: number;
}

export interface StrategyDecisions {
  readonly outputFormat: 'classification' | 'regression';
  readonly confidenceThreshold?: number;
  /** Regression: the signal thresholds (a predicted return beyond ±roundTripCost × minEdgeMultiplier trades). */
  readonly costModel?: { readonly roundTripCost: number; readonly minEdgeMultiplier: number };
}

/** A list has one weight per class, in the labeler's class order ([buy, hold, sell] for trading labels). */
export type ClassWeights = 'auto' | 'none' | readonly number[];

export interface StrategyTraining {
  readonly epochs: number;
  readonly batchSize: number;
  readonly learningRate: number;
  readonly optimizer: OptimizerKind;
  /** Undefined: the optimizer's default (0.9 for sgd, 0 for rmsprop). */
  readonly momentum?: number;
  readonly weightDecay: number;
  readonly loss: TrainingLoss;
  /** Undefined: a constant learning rate. */
  readonly lrScheduler?: LrSchedulerConfig;
  readonly earlyStopping: { readonly enabled: boolean; readonly patience: number; readonly minDelta: number };
  readonly checkpoint: { readonly everyEpochs: number; readonly everySeconds: number };
  /** 0 = no clipping. */
  readonly gradientClip: number;
  readonly classWeights: ClassWeights;
  /** Shuffles per feature for the permutation importance; 0 = none. */
  readonly importanceRepeats: number;
  readonly seed: number;
  /** A backend id, or `auto` (resolved where the run executes). */
  readonly backend: 'auto' | 'js-cpu' | 'wasm-simd';
  /** Unset: what the executor grants the run. */
  readonly threads?: number;
  readonly dataSplit: { readonly train: number; readonly validation: number; readonly test: number; readonly embargoBars: number };
  readonly labels: LabelSpec;
}

export interface StrategySource {
  /** The YAML exactly as read; the model store snapshots it. */
  readonly text: string;
  /** sha256 (hex) of `text` as UTF-8. */
  readonly sha256: string;
  /** Where it came from: a file path, or a label such as `<request>`. */
  readonly file: string;
}

export interface Strategy {
  readonly name: string;
  readonly version: string;
  readonly description: string;
  /** Whose indicator formulas the features use (`ttr` unless the file says `ktrdr`). */
  readonly conventions: Conventions;
  readonly trainingData: StrategyTrainingData;
  /** In file order. */
  readonly indicators: readonly StrategyIndicator[];
  /** In file order. */
  readonly fuzzySets: readonly StrategyFuzzySet[];
  /** In file order; this order defines the feature order. */
  readonly nnInputs: readonly StrategyNnInput[];
  readonly model: StrategyModel;
  readonly decisions: StrategyDecisions;
  readonly training: StrategyTraining;
  readonly source: StrategySource;
  /** Things that are allowed but probably unintended (an indicator no fuzzy set reads, a fuzzy set no input uses). */
  readonly warnings: readonly StrategyProblem[];
}

/** Where indicator definitions come from; the registry by default, replaceable in tests. */
export interface IndicatorCatalog {
  find(type: string): IndicatorDefinition | undefined;
  list(): readonly IndicatorDefinition[];
}

export const registryCatalog: IndicatorCatalog = { find: findIndicator, list: listIndicators };

export interface ParseStrategyOptions {
  readonly indicators?: IndicatorCatalog;
  /**
   * The name the file is known by (its file name without extension). A different `name:` inside is allowed but
   * warned about: models are stored under the inner name, so `train foo` would produce models named something else.
   */
  readonly expectedName?: string;
}

/**
 * Feature ids in feature-vector order, the original's canonical order: for each nn_inputs entry in file order, for
 * each of its timeframes, either each membership of its fuzzy set in file order — `{timeframe}_{fuzzy_set}_{membership}`,
 * e.g. `1h_rsi_zone_oversold` — or the one raw value — `{timeframe}_{raw_indicator}_raw`, e.g. `1h_macd.line_raw`.
 */
export function featureIds(strategy: Pick<Strategy, 'fuzzySets' | 'nnInputs'>): string[] {
  const sets = new Map(strategy.fuzzySets.map((set) => [set.id, set]));
  return strategy.nnInputs.flatMap((input) => inputFeatureIds(input, sets));
}

/** The feature ids one nn_inputs entry produces, in order (see featureIds). */
export function inputFeatureIds(input: StrategyNnInput, sets: ReadonlyMap<string, StrategyFuzzySet>): string[] {
  if (!('fuzzySet' in input)) return input.timeframes.map((timeframe) => rawFeatureId(timeframe, input.rawIndicator));
  const set = sets.get(input.fuzzySet);
  if (!set) throw new Error(`nn input references unknown fuzzy set '${input.fuzzySet}'`);
  return input.timeframes.flatMap((timeframe) => set.memberships.map(({ name }) => `${timeframe}_${set.id}_${name}`));
}

export function rawFeatureId(timeframe: string, rawIndicator: string): string {
  return `${timeframe}_${rawIndicator}_raw`;
}
