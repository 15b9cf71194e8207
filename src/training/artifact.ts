import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { FeatureImportance } from '../nn/feature-importance.js';
import type { ClassificationReport } from '../nn/metrics.js';
import type { RegressionReport } from '../nn/regression-metrics.js';
import { parseMlpSpec, type MlpSpec } from '../nn/spec.js';
import type { EpochRecord } from '../nn/trainer.js';
import { snakeKeys } from '../backtest/json.js';
import type { FeatureScaling } from '../features/index.js';
import { CLASS_NAMES } from '../labels/label-classes.js';
import type { LabelSource, LabelSpec } from '../labels/labeler.js';
import type { TestBacktestJson } from './test-backtest.js';

/**
 * What a finished training run produces, in memory. The pipeline returns it and never writes it; the backend's
 * model store is the single writer. It is plain data so it can cross a worker-thread or HTTP boundary unchanged.
 */
export interface ModelArtifact {
  readonly format: typeof ARTIFACT_FORMAT;
  readonly strategy_name: string;
  /** Network description (architecture, input width, classes); enough to rebuild it for inference. */
  readonly model: ModelDescription;
  /** `weights.bin` bytes, layout defined by `src/nn/serialize.ts`. */
  readonly weights: Uint8Array;
  readonly features: FeatureDescription;
  readonly labels: LabelDescription;
  readonly metrics: ArtifactMetrics;
  readonly manifest: ModelManifest;
  /** The exact strategy text that was trained. */
  readonly strategy_yaml: string;
}

export const ARTIFACT_FORMAT = 'ktrdr-model/1';

export interface ModelDescription {
  readonly type: 'mlp';
  readonly spec: MlpSpec;
  readonly parameter_count: number;
}

export interface FeatureDescription {
  /** Ordered feature ids, `{timeframe}_{fuzzy_set}_{membership}`; column order of the network input. */
  readonly names: readonly string[];
  readonly base_timeframe: string;
  readonly timeframes: readonly string[];
  /** How raw inputs are scaled before the network (fitted on the training split); absent when none is. */
  readonly normalization?: readonly FeatureScaling[];
}

/**
 * The labels a model was trained on. `classes` is the network's output order and the names predictions carry; only
 * the trading classes (BUY, HOLD, SELL) can be backtested. ZigZag models keep the shape they always had, so files
 * written before other labelers existed read (and write) unchanged.
 */
export type LabelDescription = ZigzagLabelDescription | LabelerDescription;

export interface ZigzagLabelDescription {
  readonly source: 'zigzag';
  readonly zigzag_threshold: number;
  readonly price: 'close' | 'high_low';
  readonly classes: readonly string[];
  /** Label counts over all labelled rows, per class name. */
  readonly distribution: Readonly<Record<string, number>>;
}

export interface LabelerDescription {
  readonly source: Exclude<LabelSource, 'zigzag'>;
  /** The labeler's settings as the strategy file names them (snake_case, defaults filled). */
  readonly params: Readonly<Record<string, unknown>>;
  readonly classes: readonly string[];
  readonly distribution: Readonly<Record<string, number>>;
  /** Feature rows dropped because their bar had no label (beyond the data, filtered out). */
  readonly unlabelled_rows: number;
}

/** The model file's record of the labels, from the strategy's label settings and the counts of this run. */
export function labelDescription(
  spec: LabelSpec,
  classes: readonly string[],
  distribution: Readonly<Record<string, number>>,
  unlabelledRows: number,
): LabelDescription {
  if (spec.source === 'zigzag') {
    return { source: 'zigzag', zigzag_threshold: spec.zigzagThreshold, price: spec.price, classes: [...classes], distribution: { ...distribution } };
  }
  const { source, ...settings } = spec;
  const params = snakeKeys(settings) as Record<string, unknown>;
  return { source, params, classes: [...classes], distribution: { ...distribution }, unlabelled_rows: unlabelledRows };
}

export interface ArtifactMetrics {
  readonly history: readonly EpochRecord[];
  readonly best_epoch: number;
  readonly stopped_early: boolean;
  /** A classifier's report, or a regression model's (`output: 'regression'`, against the zero-return predictor). */
  readonly test: ClassificationReport | RegressionReport;
  /** Rows per split; `purged`: rows dropped at split ends because their labels read the next split (absent when 0). */
  readonly split: { train: number; validation: number; test: number; purged?: number };
  /** The model's signals traded on the test period (absent in models trained before backtests existed). */
  readonly backtest?: TestBacktestJson;
  /**
   * The same backtest on the validation period: what a sweep may rank by (val_sharpe) without looking at the test
   * period. Absent in models trained before it existed, and for non-trading class lists.
   */
  readonly validation_backtest?: TestBacktestJson;
  /** Permutation importance on the validation split, most important first (absent when not computed). */
  readonly feature_importance?: readonly FeatureImportance[];
}

export interface DataFingerprint {
  readonly symbol: string;
  readonly timeframe: string;
  readonly sha256: string;
  readonly bars: number;
  readonly first: string;
  readonly last: string;
}

export interface ModelManifest {
  readonly strategy_name: string;
  readonly strategy_sha256: string;
  readonly data: readonly DataFingerprint[];
  readonly symbols: readonly string[];
  readonly timeframes: readonly string[];
  readonly start_date: string | null;
  readonly end_date: string | null;
  readonly seed: number;
  /** The backend that trained the weights (`js-cpu`, `wasm-simd`); absent in models trained before there was a choice. */
  readonly training_backend?: string;
  /** Threads the backend trained with; the weights do not depend on it. Absent in models trained before threads. */
  readonly training_threads?: number;
  readonly package_version: string;
  readonly execution: { readonly mode: 'local' | 'host'; readonly device: string; readonly host?: string };
  readonly durations_ms: Record<string, number>;
  readonly created_at: string;
  readonly operation_id: string | null;
  readonly weights_sha256: string;
}

export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** JSON form for transport (weights as base64); `artifactFromJson` reverses it and checks the weights hash. */
export function artifactToJson(artifact: ModelArtifact): string {
  return JSON.stringify({ ...artifact, weights: Buffer.from(artifact.weights).toString('base64') });
}

/** Parses a transported artifact (a host's push or pull) and checks every part, so the rest can trust its types. */
export function artifactFromJson(text: string): ModelArtifact {
  const raw: unknown = JSON.parse(text);
  const format = artifactFormatOf(raw);
  if (format !== ARTIFACT_FORMAT) throw new Error(`unsupported artifact format '${String(format)}'`);
  const parsed = checkArtifactPart(ArtifactJsonSchema, raw, 'artifact');
  const weights = new Uint8Array(Buffer.from(parsed.weights, 'base64'));
  if (sha256Hex(weights) !== parsed.manifest.weights_sha256) throw new Error('artifact weights do not match their sha256');
  return { ...parsed, weights };
}

/** The `format` of parsed JSON, checked first so that a foreign or future file is named as such, not as broken. */
export function artifactFormatOf(json: unknown): unknown {
  return typeof json === 'object' && json !== null && 'format' in json ? json.format : undefined;
}

// Schemas of the parts as JSON holds them, for the places an artifact comes in from outside the process (a host's
// result, the model store's files). Unknown keys pass through and the known ones are listed in the order their
// writers put them (zod's output follows the schema's order), so a round trip gives the same JSON, byte for byte.

/** The spec has one validator (`parseMlpSpec`, also used when weights are decoded); this puts it inside a schema. */
const MlpSpecSchema = z.unknown().transform((value, ctx): MlpSpec => {
  try {
    return parseMlpSpec(value);
  } catch (error) {
    ctx.addIssue({ code: 'custom', message: error instanceof Error ? error.message : String(error) });
    return z.NEVER;
  }
});

export const ModelDescriptionSchema: z.ZodType<ModelDescription> = z.looseObject({
  type: z.literal('mlp'),
  spec: MlpSpecSchema,
  parameter_count: z.number().int(),
});

const FeatureScalingSchema: z.ZodType<FeatureScaling> = z.union([
  z.strictObject({ feature: z.string(), method: z.literal('minmax'), min: z.number(), max: z.number() }),
  z.strictObject({ feature: z.string(), method: z.literal('zscore'), mean: z.number(), std: z.number() }),
]);

export const FeatureDescriptionSchema: z.ZodType<FeatureDescription> = z.looseObject({
  names: z.array(z.string()),
  base_timeframe: z.string(),
  timeframes: z.array(z.string()),
  normalization: z.array(FeatureScalingSchema).optional(),
});

export const LabelDescriptionSchema: z.ZodType<LabelDescription> = z
  .union([
    z.looseObject({
      source: z.literal('zigzag'),
      zigzag_threshold: z.number(),
      price: z.enum(['close', 'high_low']),
      classes: z.array(z.enum(CLASS_NAMES)),
      distribution: z.object({ BUY: z.number(), HOLD: z.number(), SELL: z.number() }).catchall(z.number()),
    }),
    z.looseObject({
      source: z.enum(['forward_return', 'triple_barrier', 'context', 'regime']),
      params: z.record(z.string(), z.unknown()),
      classes: z.array(z.string()),
      distribution: z.record(z.string(), z.number()),
      unlabelled_rows: z.number().int(),
    }),
  ])
  .refine((labels) => (labels.source === 'forward_return' ? labels.classes.length === 0 : labels.classes.length >= 2), {
    message: 'forward_return labels have no classes, every other source at least two',
  });

const EpochRecordSchema: z.ZodType<EpochRecord> = z.looseObject({
  epoch: z.number().int(),
  train_loss: z.number(),
  train_accuracy: z.number(),
  val_loss: z.number(),
  val_accuracy: z.number(),
  learning_rate: z.number(),
  duration_ms: z.number(),
});

const ClassificationReportSchema: z.ZodType<ClassificationReport> = z.looseObject({
  loss: z.number(),
  samples: z.number().int(),
  accuracy: z.number(),
  baseline_accuracy: z.number(),
  majority_class: z.string(),
  precision: z.number(),
  recall: z.number(),
  f1_score: z.number(),
  per_class: z.array(
    z.looseObject({
      class: z.string(),
      precision: z.number(),
      recall: z.number(),
      f1_score: z.number(),
      support: z.number().int(),
      predicted: z.number().int(),
    }),
  ),
  confusion_matrix: z.array(z.array(z.number().int())),
});

const RegressionReportSchema: z.ZodType<RegressionReport> = z.looseObject({
  output: z.literal('regression'),
  samples: z.number().int(),
  loss: z.number(),
  mse: z.number(),
  rmse: z.number(),
  mae: z.number(),
  r2: z.number(),
  directional_accuracy: z.number(),
  information_coefficient: z.number(),
  accuracy: z.number(),
  baseline_accuracy: z.number(),
  majority_class: z.string(),
  baseline: z.looseObject({ predictor: z.literal('zero_return'), mse: z.number(), rmse: z.number(), mae: z.number(), r2: z.number() }),
});

/** Backtest figures: numbers, or null where a figure is undefined for the data. */
const FiguresSchema = z.record(z.string(), z.number().nullable());

const TestBacktestSchema = z.looseObject({
  settings: z.record(z.string(), z.unknown()),
  symbols: z.array(
    z.looseObject({
      symbol: z.string(),
      bars: z.number().int(),
      first_bar: z.string(),
      last_bar: z.string(),
      metrics: FiguresSchema,
      benchmark: FiguresSchema,
    }),
  ),
  mean: z.looseObject({ metrics: FiguresSchema, benchmark: FiguresSchema }),
});

export const ArtifactMetricsSchema: z.ZodType<ArtifactMetrics> = z.looseObject({
  history: z.array(EpochRecordSchema),
  best_epoch: z.number().int(),
  stopped_early: z.boolean(),
  // Regression first: its `output` key tells it apart; a classification report has none (older files included).
  test: z.union([RegressionReportSchema, ClassificationReportSchema]),
  split: z.looseObject({ train: z.number().int(), validation: z.number().int(), test: z.number().int(), purged: z.number().int().optional() }),
  backtest: TestBacktestSchema.optional(),
  validation_backtest: TestBacktestSchema.optional(),
  feature_importance: z.array(z.looseObject({ feature: z.string(), loss_increase: z.number(), accuracy_drop: z.number() })).optional(),
});

export const ModelManifestSchema: z.ZodType<ModelManifest> = z.looseObject({
  strategy_name: z.string(),
  strategy_sha256: z.string(),
  data: z.array(
    z.looseObject({ symbol: z.string(), timeframe: z.string(), sha256: z.string(), bars: z.number().int(), first: z.string(), last: z.string() }),
  ),
  symbols: z.array(z.string()),
  timeframes: z.array(z.string()),
  start_date: z.string().nullable(),
  end_date: z.string().nullable(),
  seed: z.number().int(),
  training_backend: z.string().optional(),
  training_threads: z.number().int().positive().optional(),
  package_version: z.string(),
  execution: z.looseObject({ mode: z.enum(['local', 'host']), device: z.string(), host: z.string().optional() }),
  durations_ms: z.record(z.string(), z.number()),
  created_at: z.string(),
  operation_id: z.string().nullable(),
  weights_sha256: z.string(),
});

const ArtifactJsonSchema = z.looseObject({
  format: z.literal(ARTIFACT_FORMAT),
  strategy_name: z.string(),
  model: ModelDescriptionSchema,
  weights: z.string(),
  features: FeatureDescriptionSchema,
  labels: LabelDescriptionSchema,
  metrics: ArtifactMetricsSchema,
  manifest: ModelManifestSchema,
  strategy_yaml: z.string(),
});

/** Validates one part of an artifact read from outside; the error names the first problem and where it is. */
export function checkArtifactPart<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const path = issue.path.map(String).join('.');
  throw new Error(`${what}${path ? ` ${path}` : ''}: ${issue.message}`);
}
