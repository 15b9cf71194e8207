import type { FuzzySetDefinition } from '../fuzzy/fuzzy-set.js';
import { findIndicator, listIndicators } from '../indicators/registry.js';
import type { IndicatorDefinition } from '../indicators/types.js';
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

export interface StrategyNnInput {
  readonly fuzzySet: string;
  /** Explicit list (`all` resolved to training_data.timeframes, in that order). */
  readonly timeframes: readonly string[];
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
  readonly outputFormat: 'classification';
  readonly confidenceThreshold?: number;
}

/** Class order everywhere: [buy, hold, sell]. */
export type ClassWeights = 'auto' | 'none' | readonly [number, number, number];

export interface StrategyTraining {
  readonly epochs: number;
  readonly batchSize: number;
  readonly learningRate: number;
  readonly weightDecay: number;
  readonly earlyStopping: { readonly enabled: boolean; readonly patience: number; readonly minDelta: number };
  readonly checkpoint: { readonly everyEpochs: number; readonly everySeconds: number };
  /** 0 = no clipping. */
  readonly gradientClip: number;
  readonly classWeights: ClassWeights;
  readonly seed: number;
  readonly dataSplit: { readonly train: number; readonly validation: number; readonly test: number };
  readonly labels: { readonly source: 'zigzag'; readonly zigzagThreshold: number; readonly price: 'close' | 'high_low' };
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
 * Feature ids in feature-vector order: for each nn_inputs entry, for each of its timeframes, each membership of its
 * fuzzy set in file order — `{timeframe}_{fuzzy_set}_{membership}`, e.g. `1h_rsi_zone_oversold`.
 */
export function featureIds(strategy: Pick<Strategy, 'fuzzySets' | 'nnInputs'>): string[] {
  const sets = new Map(strategy.fuzzySets.map((set) => [set.id, set]));
  const ids: string[] = [];
  for (const input of strategy.nnInputs) {
    const set = sets.get(input.fuzzySet);
    if (!set) throw new Error(`nn input references unknown fuzzy set '${input.fuzzySet}'`);
    for (const timeframe of input.timeframes) {
      for (const { name } of set.memberships) ids.push(`${timeframe}_${set.id}_${name}`);
    }
  }
  return ids;
}
