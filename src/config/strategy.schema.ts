import { z } from 'zod';
import { isValidSymbol } from '../data/names.js';
import { isValidTimeframe } from '../data/timeframe.js';
import { parseTimestamp } from '../data/timestamp.js';

/**
 * The strategy file schema, section by section. Every object is strict: a key that is not listed here is an error
 * naming the allowed keys, never silently ignored. Defaults are written next to each key.
 *
 * `indicators` and `fuzzy_sets` are maps whose inner keys are user-chosen (indicator parameters, membership names),
 * so only their outer shape is declared here; `strategy.ts` validates their contents against the indicator registry
 * and the membership rules, and checks every cross-reference.
 */

/** Strategy names double as file names: letters, digits, `_` and `-`, starting with a letter or digit. */
export const STRATEGY_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]*$/;
/** Ids of indicators and fuzzy sets and membership names; they become parts of feature ids, so no dots or spaces. */
export const ID_PATTERN = /^[A-Za-z][A-Za-z0-9_-]*$/;
/** Indicator ids that would shadow raw price columns. */
export const RESERVED_INDICATOR_IDS = ['open', 'high', 'low', 'close', 'volume'] as const;

const symbol = z.string().refine(isValidSymbol, {
  error: 'must be 1-20 characters from A-Z a-z 0-9 _ . -, starting with a letter or digit (e.g. SPX, EURUSD)',
});
const timeframe = z.string().refine(isValidTimeframe, { error: 'must be <count><unit> with unit m, h, d or w (e.g. 1h, 4h, 1d)' });
const isoDate = z.string().refine((text) => !Number.isNaN(parseTimestamp(text)), {
  error: "must be an ISO date '2020-01-31' or date-time '2020-01-31T12:00:00Z' (UTC when no offset)",
});
const positiveInt = z.number().int().min(1);
const finite = z.number();

export const NameSchema = z.string().max(100).regex(STRATEGY_NAME_PATTERN, {
  error: 'must start with a letter or digit and contain only letters, digits, _ and - (it is also the model directory name)',
});

/** A free-form label copied into model metadata. Quote numbers: `version: "1.0"`. @defaultValue "1.0" */
export const VersionSchema = z
  .string({ error: (issue) => (issue.input === undefined ? undefined : 'must be a string; quote it, e.g. version: "1.0"') })
  .default('1.0');

/** @defaultValue "" */
export const DescriptionSchema = z.string().default('');

export const TrainingDataSchema = z.strictObject({
  /** Symbols to train on, each a data file prefix (`{SYMBOL}_{TIMEFRAME}.csv`). Required, at least one. */
  symbols: z.array(symbol).min(1),
  /** Timeframes to load, e.g. `[1h, 4h, 1d]`. Required, at least one, no duplicates. */
  timeframes: z.array(timeframe).min(1),
  /** The timeframe features and labels are computed on. Must be in `timeframes`. Default: the highest-frequency one. */
  base_timeframe: timeframe.optional(),
  /** First bar (inclusive, by bar open time); ISO date or date-time, UTC unless an offset is given. Default: file start. */
  start_date: isoDate.optional(),
  /** Last bar (inclusive); a date-only value includes that whole day. Default: file end. */
  end_date: isoDate.optional(),
  /** Bars of history the strategy needs before its first usable bar (informational; warm-up is measured). */
  history_required: z.number().int().min(0).optional(),
});

/** One indicator: `{type, ...params}`; the params are checked against the indicator's own schema. */
export const IndicatorEntrySchema = z.looseObject({
  /** A registry name (case-insensitive; aliases allowed). */
  type: z.string().min(1),
});

/** Indicator id -> entry. At least one. */
export const IndicatorsSchema = z.record(z.string(), IndicatorEntrySchema);

/** One fuzzy set: `{indicator, <membership name>: <membership>, ...}`, memberships in file order. */
export const FuzzySetEntrySchema = z.looseObject({
  /** `indicator_id`, or `indicator_id.output` for one output of a multi-output indicator (bare id = primary output). */
  indicator: z.string().min(1),
});

/** Fuzzy set id -> entry. At least one. */
export const FuzzySetsSchema = z.record(z.string(), FuzzySetEntrySchema);

/** A membership in full form. The shorthand is a plain list: 3 numbers = triangular, 4 = trapezoidal. */
export const MembershipFullSchema = z.discriminatedUnion(
  'type',
  [
    z.strictObject({ type: z.literal('triangular'), parameters: z.tuple([finite, finite, finite]) }),
    z.strictObject({ type: z.literal('trapezoidal'), parameters: z.tuple([finite, finite, finite, finite]) }),
    z.strictObject({ type: z.literal('gaussian'), mean: finite, sigma: finite }),
  ],
  {
    error: (issue) =>
      issue.code === 'invalid_union' && issue.note === 'No matching discriminator' ? 'type must be triangular, trapezoidal or gaussian' : undefined,
  },
);

export const NnInputSchema = z.strictObject({
  /** A fuzzy set id from `fuzzy_sets`. */
  fuzzy_set: z.string(),
  /** `all` (every training timeframe, in `training_data.timeframes` order) or a list of them. @defaultValue all */
  timeframes: z.unknown().optional(),
});

/** Ordered: the feature vector lists each entry's features in this order. At least one entry. */
export const NnInputsSchema = z.array(NnInputSchema).min(1);

export const ActivationSchema = z.enum(['relu', 'tanh', 'sigmoid', 'leaky_relu']);

export const ModelSchema = z.strictObject({
  /** Only multi-layer perceptrons for now. @defaultValue mlp */
  type: z.literal('mlp').default('mlp'),
  /** Hidden layer widths, input side first. Required. */
  hidden_layers: z.array(z.number().int().min(1).max(4096)).min(1).max(16),
  /** @defaultValue relu */
  activation: ActivationSchema.default('relu'),
  /** Dropout probability after each hidden layer, 0 <= p < 1. @defaultValue 0.2 */
  dropout: z.number().min(0).lt(1).default(0.2),
});

export const DecisionsSchema = z
  .strictObject({
    /** @defaultValue classification (BUY / HOLD / SELL) */
    output_format: z.literal('classification').default('classification'),
    /** Minimum class probability to act on a signal, 0..1. Optional; used by prediction and backtests. */
    confidence_threshold: z.number().min(0).max(1).optional(),
  })
  .prefault({});

export const EarlyStoppingSchema = z
  .strictObject({
    /** @defaultValue true */
    enabled: z.boolean().default(true),
    /** Epochs without validation-loss improvement before stopping. @defaultValue 10 */
    patience: positiveInt.default(10),
    /** Smallest decrease of validation loss that counts as improvement. @defaultValue 0.0001 */
    min_delta: z.number().min(0).default(1e-4),
  })
  .prefault({});

/** When a run saves a checkpoint to resume from: after this many epochs or seconds, whichever comes first. */
export const CheckpointSchema = z
  .strictObject({
    /** @defaultValue 10 */
    every_epochs: positiveInt.default(10),
    /** @defaultValue 300 */
    every_seconds: z.number().gt(0).default(300),
  })
  .prefault({});

export const DataSplitSchema = z
  .strictObject({
    /** Fractions of the bars, in time order (train first). Each > 0; they must sum to 1. @defaultValue 0.7 */
    train: z.number().gt(0).lt(1).default(0.7),
    /** @defaultValue 0.15 */
    validation: z.number().gt(0).lt(1).default(0.15),
    /** @defaultValue 0.15 */
    test: z.number().gt(0).lt(1).default(0.15),
  })
  .prefault({});

export const LabelsSchema = z
  .strictObject({
    /** @defaultValue zigzag */
    source: z.literal('zigzag').default('zigzag'),
    /** Minimum swing, as a fraction of price, for a ZigZag pivot (0 < t < 1). @defaultValue 0.02 */
    zigzag_threshold: z.number().gt(0).lt(1).default(0.02),
    /** Prices the pivots are found on: `close`, or `high_low` (highs for peaks, lows for troughs). @defaultValue close */
    price: z.enum(['close', 'high_low']).default('close'),
  })
  .prefault({});

export const ClassWeightsSchema = z.union([z.enum(['auto', 'none']), z.tuple([z.number().gt(0), z.number().gt(0), z.number().gt(0)])], {
  error: (issue) => (issue.code === 'invalid_union' ? 'must be auto, none, or a list of three positive weights [buy, hold, sell]' : undefined),
});

export const TrainingSchema = z
  .strictObject({
    /** @defaultValue 100 */
    epochs: positiveInt.max(100_000).default(100),
    /** @defaultValue 32 */
    batch_size: positiveInt.default(32),
    /** Adam step size. @defaultValue 0.001 */
    learning_rate: z.number().gt(0).default(0.001),
    /** L2 penalty added to the gradient (PyTorch Adam's weight_decay, as the original used). @defaultValue 0.0001 */
    weight_decay: z.number().min(0).default(1e-4),
    early_stopping: EarlyStoppingSchema,
    checkpoint: CheckpointSchema,
    /** Maximum global gradient norm; 0 disables clipping. @defaultValue 1.0 */
    gradient_clip: z.number().min(0).default(1.0),
    /**
     * `none`, `auto` (inverse class frequency on the training split), or [buy, hold, sell]. The default is `none`:
     * ZigZag segment labels make HOLD rare (only pivot bars, a few percent), so `auto` weights each HOLD bar 10x or
     * more and the network trades accuracy for HOLD predictions it cannot make well. @defaultValue none
     */
    class_weights: ClassWeightsSchema.default('none'),
    /** Seeds every random choice (init, dropout, shuffling). @defaultValue 42 */
    seed: z.number().int().min(0).max(0xffffffff).default(42),
    data_split: DataSplitSchema,
    labels: LabelsSchema,
  })
  .prefault({});

/**
 * The top-level sections and their schemas. `strategy.ts` validates each section on its own so all problems show;
 * `indicators`, `fuzzy_sets` and `nn_inputs` are checked entry by entry with the entry schemas above, for the same
 * reason, so their section schemas here only define the raw type.
 */
export const SECTION_SCHEMAS = {
  /** Required. Also the model directory name. */
  name: NameSchema,
  version: VersionSchema,
  description: DescriptionSchema,
  /** Required. */
  training_data: TrainingDataSchema,
  /** Required, at least one. */
  indicators: IndicatorsSchema,
  /** Required, at least one. */
  fuzzy_sets: FuzzySetsSchema,
  /** Required, at least one. */
  nn_inputs: NnInputsSchema,
  /** Required (hidden_layers has no default). */
  model: ModelSchema,
  decisions: DecisionsSchema,
  training: TrainingSchema,
} as const;

/** The whole file as one schema: the source of the raw `StrategyFile` type (validation goes section by section). */
export const StrategyFileSchema = z.strictObject(SECTION_SCHEMAS);
export type StrategyFile = z.output<typeof StrategyFileSchema>;
export type Activation = z.output<typeof ActivationSchema>;
