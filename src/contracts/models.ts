import { z } from 'zod';
import { DateInputSchema, IsoTimestampSchema, StrategyNameSchema, SymbolSchema, TimeframeSchema } from './common.js';
import { MODEL_FILES } from '../models/model-store.js';

/** The model's test-period backtest next to buy-and-hold on the same bars (null for models trained before backtests). */
export const TestPeriodSchema = z
  .object({
    return: z.number().nullable(),
    sharpe: z.number().nullable(),
    max_drawdown: z.number().nullable(),
    trades: z.number().nullable(),
    buy_and_hold: z.object({ return: z.number().nullable(), sharpe: z.number().nullable(), max_drawdown: z.number().nullable() }),
  })
  .meta({ id: 'TestPeriod' });

export const ModelSummarySchema = z
  .object({
    strategy: z.string(),
    version: z.number().int(),
    created_at: IsoTimestampSchema,
    operation_id: z.string().nullable(),
    test_accuracy: z.number().nullable(),
    test_period: TestPeriodSchema.nullable(),
    feature_count: z.number().int(),
  })
  .meta({ id: 'ModelSummary' });

export const ModelListQuerySchema = z.strictObject({ strategy: StrategyNameSchema.optional() });
export const ModelListSchema = z.object({ data: z.array(ModelSummarySchema) }).meta({ id: 'ModelList' });

export const ModelParamsSchema = z.strictObject({
  strategy: StrategyNameSchema,
  version: z.union([z.literal('latest'), z.string().regex(/^[1-9][0-9]{0,8}$/, 'a positive integer or latest')]),
});

export const ModelDetailSchema = z
  .object({
    strategy: z.string(),
    version: z.number().int(),
    created_at: IsoTimestampSchema,
    operation_id: z.string().nullable(),
    model: z.object({ type: z.string(), spec: z.record(z.string(), z.unknown()), parameter_count: z.number().int() }),
    features: z.object({ names: z.array(z.string()), base_timeframe: z.string(), timeframes: z.array(z.string()) }),
    labels: z.record(z.string(), z.unknown()),
    metrics: z.object({
      history: z.array(z.record(z.string(), z.unknown())),
      best_epoch: z.number().int(),
      stopped_early: z.boolean(),
      test: z.record(z.string(), z.unknown()),
      split: z.object({ train: z.number().int(), validation: z.number().int(), test: z.number().int() }),
      backtest: z
        .record(z.string(), z.unknown())
        .nullable()
        .describe('The test-period backtest: settings, per-symbol metrics and buy-and-hold benchmark, and their mean (see docs/backtest.md)'),
      feature_importance: z
        .array(z.object({ feature: z.string(), loss_increase: z.number(), accuracy_drop: z.number() }))
        .nullable()
        .describe(
          'Permutation importance on the validation split, most important first: the mean increase of cross-entropy and drop of accuracy when the feature is shuffled',
        ),
    }),
    manifest: z.record(z.string(), z.unknown()).describe('Strategy and data hashes, seed, execution, durations'),
    files: z
      .array(z.object({ name: z.string(), bytes: z.number().int() }))
      .describe('The files of the version, each downloadable from GET /models/{strategy}/{version}/files/{name}'),
  })
  .meta({ id: 'ModelDetail' });

export const ModelFileParamsSchema = z.strictObject({
  strategy: StrategyNameSchema,
  version: ModelParamsSchema.shape.version,
  file: z.enum(MODEL_FILES),
});

export const PredictParamsSchema = z.strictObject({ strategy: StrategyNameSchema });

export const PredictRequestSchema = z
  .strictObject({
    version: z.number().int().min(1).optional().describe('Default: the latest version'),
    symbol: SymbolSchema,
    timeframe: TimeframeSchema.optional().describe("Default: the model's base timeframe (the only one it predicts on)"),
    start_date: DateInputSchema.optional(),
    end_date: DateInputSchema.optional(),
    last: z.number().int().min(1).max(100_000).optional().describe('Only the newest N predictions'),
  })
  .meta({ id: 'PredictRequest' });

export const PredictionSchema = z.object({
  timestamp: IsoTimestampSchema,
  signal: z.string().describe("The predicted class: BUY, HOLD or SELL for trading models, else one of the model's classes (labels.classes)"),
  confidence: z.number().describe('Probability of the predicted class'),
  probabilities: z.record(z.string(), z.number()).describe("Per class name, in the model's class order"),
  predicted_return: z
    .number()
    .optional()
    .describe('Regression models only: the predicted forward return; the signal is BUY/SELL beyond ±round_trip_cost × min_edge_multiplier'),
});

export const PredictResponseSchema = z
  .object({
    strategy: z.string(),
    version: z.number().int().nullable(),
    symbol: z.string(),
    timeframe: z.string(),
    predictions: z.array(PredictionSchema),
  })
  .meta({ id: 'PredictResponse' });

export type ModelSummary = z.infer<typeof ModelSummarySchema>;
export type ModelDetail = z.infer<typeof ModelDetailSchema>;
export type PredictRequest = z.infer<typeof PredictRequestSchema>;
export type PredictResponse = z.infer<typeof PredictResponseSchema>;
