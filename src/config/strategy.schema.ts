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

/** How a raw indicator input is scaled; statistics come from the training split and are stored in the model. */
export const NormalizationSchema = z.enum(['minmax', 'zscore', 'none']);

/** Exactly one of `fuzzy_set` (its memberships) or `raw_indicator` (the indicator value itself). */
export const NnInputSchema = z.strictObject({
  /** A fuzzy set id from `fuzzy_sets`: one feature per membership. */
  fuzzy_set: z.string().optional(),
  /** `indicator_id` or `indicator_id.output` (bare id = primary output): one feature, `{tf}_{ref}_raw`. */
  raw_indicator: z.string().optional(),
  /**
   * Raw inputs only. `minmax`: (x − min)/(max − min); `zscore`: (x − mean)/std (sample std); 0 where the range or
   * std is 0. Fitted on the training split only. @defaultValue none
   */
  normalization: NormalizationSchema.optional(),
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
    /**
     * `classification` (the labeler's classes) or `regression` (one real-valued output, e.g. a forward return; needs
     * `forward_return` labels, `cost_model` and loss `mse` or `huber`). @defaultValue classification
     */
    output_format: z.enum(['classification', 'regression']).default('classification'),
    /** Minimum class probability to act on a signal, 0..1. Optional; used by prediction and backtests. */
    confidence_threshold: z.number().min(0).max(1).optional(),
    /**
     * Regression only (required there): a predicted return above round_trip_cost × min_edge_multiplier is BUY, one
     * below its negative SELL, anything between HOLD.
     */
    cost_model: z
      .strictObject({
        /** Cost of entering and leaving a position, as a fraction of the price (0.0002 = 2 bp). */
        round_trip_cost: z.number().gt(0),
        /** How many round-trip costs the predicted move must cover to be worth a trade. */
        min_edge_multiplier: z.number().gt(0),
      })
      .optional(),
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
    /**
     * Extra bars dropped before each split boundary, on top of the purge of rows whose labels read the next split's
     * bars (serially correlated features leak too). @defaultValue 0
     */
    embargo_bars: z.number().int().min(0).default(0),
  })
  .prefault({});

/** ZigZag segment labels (BUY / HOLD / SELL): hindsight swing direction; the default labeler. */
export const ZigzagLabelsSchema = z.strictObject({
  source: z.literal('zigzag'),
  /** Minimum swing, as a fraction of price, for a ZigZag pivot (0 < t < 1). @defaultValue 0.02 */
  zigzag_threshold: z.number().gt(0).lt(1).default(0.02),
  /** Prices the pivots are found on: `close`, or `high_low` (highs for peaks, lows for troughs). @defaultValue close */
  price: z.enum(['close', 'high_low']).default('close'),
});

/** nn/backend-registry.ts BACKEND_CHOICES (a test keeps the two lists equal; config does not import the engine). */
export const BackendChoiceSchema = z.enum(['auto', 'js-cpu', 'wasm-simd']);
/** Forward return over `horizon` bars, a regression target (needs a regression model). */
export const ForwardReturnLabelsSchema = z.strictObject({
  source: z.literal('forward_return'),
  /** Bars ahead. @defaultValue 20 */
  horizon: positiveInt.default(20),
});

/** Triple-barrier labels (BUY = profit barrier first, SELL = stop barrier first, HOLD = time-out without a move). */
export const TripleBarrierLabelsSchema = z.strictObject({
  source: z.literal('triple_barrier'),
  /** Profit barrier at close·(1 + pt_multiplier·volatility). @defaultValue 2.0 */
  pt_multiplier: z.number().gt(0).default(2.0),
  /** Stop barrier at close·(1 − sl_multiplier·volatility). @defaultValue 1.5 */
  sl_multiplier: z.number().gt(0).default(1.5),
  /** Vertical barrier: bars a position is held at most; also the bars of look-ahead purged at split boundaries. @defaultValue 50 */
  max_holding_period: positiveInt.default(50),
  /** EWM span of the volatility estimate. @defaultValue 50 */
  vol_span: positiveInt.default(50),
  /** `atr`: EWM mean of (high − low)/close; `log_return_std`: EWM std of log returns. @defaultValue atr */
  vol_method: z.enum(['atr', 'log_return_std']).default('atr'),
  /**
   * Present: keep only CUSUM event bars (their features and labels). A fraction of summed log returns, or 0 for
   * automatic (cusum_multiplier × mean EWM std of log returns). Absent: every bar is labelled.
   */
  cusum_threshold: z.number().min(0).optional(),
  /** Scale of the automatic CUSUM threshold. @defaultValue 0.5 */
  cusum_multiplier: z.number().gt(0).default(0.5),
  /** Weight training rows by label uniqueness (overlapping holding periods count less). @defaultValue false */
  compute_weights: z.boolean().default(false),
});

/** Market context (BULLISH / BEARISH / NEUTRAL) from the forward return over `horizon` bars; meant for daily bars. */
export const ContextLabelsSchema = z.strictObject({
  source: z.literal('context'),
  /** @defaultValue 5 */
  horizon: positiveInt.default(5),
  /** Forward return (fraction) above which a bar is BULLISH. @defaultValue 0.005 */
  bullish_threshold: z.number().default(0.005),
  /** Forward return below which a bar is BEARISH. @defaultValue -0.005 */
  bearish_threshold: z.number().default(-0.005),
});

/** Multi-scale regimes (TRENDING_UP / TRENDING_DOWN / RANGING / VOLATILE). */
export const RegimeLabelsSchema = z.strictObject({
  source: z.literal('regime'),
  /** Macro ZigZag threshold = this × median ATR / median close. @defaultValue 3.0 */
  macro_atr_mult: z.number().gt(0).default(3.0),
  /** Micro ZigZag threshold, the same way. @defaultValue 1.0 */
  micro_atr_mult: z.number().gt(0).default(1.0),
  /** @defaultValue 14 */
  atr_period: z.number().int().min(2).default(14),
  /** Bars in each realised-volatility window (backward and forward). @defaultValue 120 */
  vol_lookback: z.number().int().min(2).default(120),
  /** VOLATILE when forward RV / backward RV exceeds this. @defaultValue 2.0 */
  vol_crisis_threshold: z.number().gt(0).default(2.0),
  /** Share of higher lows (or lower highs) a trend needs, 0 < x ≤ 1. @defaultValue 0.5 */
  progression_tolerance: z.number().gt(0).max(1).default(0.5),
});

export const LABEL_SOURCES = ['zigzag', 'forward_return', 'triple_barrier', 'context', 'regime'] as const;

/** `source` picks the labeler; its other keys are that labeler's settings. A missing `source` means zigzag. */
export const LabelsSchema = z
  .preprocess(
    (value) =>
      value !== null && typeof value === 'object' && !Array.isArray(value) && !('source' in value) ? { ...value, source: 'zigzag' } : value,
    z.discriminatedUnion(
      'source',
      [ZigzagLabelsSchema, ForwardReturnLabelsSchema, TripleBarrierLabelsSchema, ContextLabelsSchema, RegimeLabelsSchema],
      {
        error: (issue) =>
          issue.code === 'invalid_union' && issue.note === 'No matching discriminator'
            ? `source must be one of ${LABEL_SOURCES.join(', ')}`
            : undefined,
      },
    ),
  )
  .prefault({});

/** One positive weight per class, in the labeler's class order (the length is checked against the labeler). */
export const ClassWeightsSchema = z.union([z.enum(['auto', 'none']), z.array(z.number().gt(0)).min(2).max(16)], {
  error: (issue) =>
    issue.code === 'invalid_union'
      ? 'must be auto, none, or a list of positive weights, one per class in class order (e.g. [buy, hold, sell])'
      : undefined,
});

const StepSchedulerSchema = z.strictObject({
  type: z.literal('step'),
  /** Epochs between reductions. @defaultValue 30 */
  step_size: positiveInt.default(30),
  /** @defaultValue 0.1 */
  gamma: z.number().gt(0).max(1).default(0.1),
});
const ExponentialSchedulerSchema = z.strictObject({
  type: z.literal('exponential'),
  /** @defaultValue 0.95 */
  gamma: z.number().gt(0).max(1).default(0.95),
});
const PlateauSchedulerSchema = z.strictObject({
  type: z.literal('reduce_on_plateau'),
  /** @defaultValue 0.5 */
  factor: z.number().gt(0).lt(1).default(0.5),
  /** Epochs without improvement of the validation loss tolerated before a reduction. @defaultValue 5 */
  patience: z.number().int().min(0).default(5),
  /** @defaultValue 0 */
  min_lr: z.number().min(0).default(0),
});
const CosineSchedulerSchema = z.strictObject({
  type: z.literal('cosine'),
  /** Epochs of the half cosine; defaults to `epochs`. */
  t_max: positiveInt.optional(),
  /** @defaultValue 0 */
  eta_min: z.number().min(0).default(0),
});

export const LR_SCHEDULER_TYPES = ['step', 'exponential', 'reduce_on_plateau', 'cosine'] as const;

/**
 * A learning-rate schedule, stepped once per epoch after validation: a mapping with `type` and its settings, or just
 * the type name for its defaults (`lr_scheduler: cosine`). Absent: a constant rate.
 */
export const LrSchedulerSchema = z.preprocess(
  (value) => (typeof value === 'string' ? { type: value } : value),
  z.discriminatedUnion('type', [StepSchedulerSchema, ExponentialSchedulerSchema, PlateauSchedulerSchema, CosineSchedulerSchema], {
    error: (issue) =>
      issue.code === 'invalid_union' && issue.note === 'No matching discriminator'
        ? `must be one of ${LR_SCHEDULER_TYPES.join(', ')}, or a mapping with one of them as type`
        : undefined,
  }),
);

export const TrainingSchema = z
  .strictObject({
    /** @defaultValue 100 */
    epochs: positiveInt.max(100_000).default(100),
    /** @defaultValue 32 */
    batch_size: positiveInt.default(32),
    /** Initial step size of the optimizer. @defaultValue 0.001 */
    learning_rate: z.number().gt(0).default(0.001),
    /** `adam` (L2 weight decay, the original's), `adamw` (decoupled decay), `sgd`, `rmsprop`. @defaultValue adam */
    optimizer: z.enum(['adam', 'adamw', 'sgd', 'rmsprop']).default('adam'),
    /** Momentum of `sgd` (default 0.9) and `rmsprop` (default 0). */
    momentum: z.number().min(0).lt(1).optional(),
    /**
     * Weight decay: L2 added to the gradient (PyTorch's weight_decay, as the original used); decoupled for adamw.
     * @defaultValue 0.0001
     */
    weight_decay: z.number().min(0).default(1e-4),
    /**
     * Classification: `cross_entropy` (default) or `focal` (class weights act as its α). Regression: `huber`
     * (default) or `mse`. @defaultValue cross_entropy, huber for regression
     */
    loss: z.enum(['cross_entropy', 'focal', 'mse', 'huber']).optional(),
    /** Focusing exponent γ of the focal loss; 0 is cross-entropy. @defaultValue 2.0 */
    focal_gamma: z.number().min(0).default(2.0),
    /** Huber loss threshold δ (regression): quadratic below, linear above. In units of the target. @defaultValue 0.01 */
    huber_delta: z.number().gt(0).default(0.01),
    lr_scheduler: LrSchedulerSchema.optional(),
    early_stopping: EarlyStoppingSchema,
    checkpoint: CheckpointSchema,
    /** Maximum global gradient norm; 0 disables clipping. @defaultValue 1.0 */
    gradient_clip: z.number().min(0).default(1.0),
    /**
     * `none`, `auto` (inverse class frequency on the training split), or one weight per class ([buy, hold, sell] for
     * zigzag and triple_barrier). The default is `none`:
     * ZigZag segment labels make HOLD rare (only pivot bars, a few percent), so `auto` weights each HOLD bar 10x or
     * more and the network trades accuracy for HOLD predictions it cannot make well. @defaultValue none
     */
    class_weights: ClassWeightsSchema.default('none'),
    /**
     * Permutation feature importance on the validation split after training: each feature shuffled this many times
     * (seeded), stored with the model. 0 skips it. @defaultValue 5
     */
    importance_repeats: z.number().int().min(0).max(100).default(5),
    /** Seeds every random choice (init, dropout, shuffling). @defaultValue 42 */
    seed: z.number().int().min(0).max(0xffffffff).default(42),
    /**
     * The engine that does the arithmetic: `js-cpu` (the reference), `wasm-simd` (WebAssembly SIMD, several times
     * faster), or `auto` (wasm-simd where the runtime supports SIMD, else js-cpu). Both are deterministic; the same
     * seed gives the same weights on the same backend, not across backends. The model manifest records the one used.
     * @defaultValue auto
     */
    backend: BackendChoiceSchema.default('auto'),
    /**
     * Threads one run trains with (wasm-simd; js-cpu uses one). Unset: the cores the executor grants the run
     * (`KTRDR_THREADS_PER_RUN`, default 1); a larger value is capped there. The weights do not depend on it.
     */
    threads: positiveInt.max(256).optional(),
    data_split: DataSplitSchema,
    labels: LabelsSchema,
  })
  .prefault({});

/**
 * The top-level sections and their schemas. `strategy.ts` validates each section on its own so all problems show;
 * `indicators`, `fuzzy_sets` and `nn_inputs` are checked entry by entry with the entry schemas above, for the same
 * reason, so their section schemas here only define the raw type.
 */
/**
 * Whose indicator formulas to use. `ttr` (the default): TTR/TA-Lib conventions (SMA-seeded EMAs, Wilder smoothing,
 * population SD). `ktrdr`: the original system's pandas formulas for bbands, bollingerbandwidth, ema, macd, atr, adx,
 * stochastic, keltner, supertrend, squeezeintensity, fishertransform and volumeratio (see
 * `src/indicators/ktrdr-conventions.ts`), so a migrated strategy trains on the features it had.
 * @defaultValue ttr
 */
export const ConventionsSchema = z.enum(['ttr', 'ktrdr']).default('ttr');

export const SECTION_SCHEMAS = {
  /** Required. Also the model directory name. */
  name: NameSchema,
  version: VersionSchema,
  description: DescriptionSchema,
  conventions: ConventionsSchema,
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
