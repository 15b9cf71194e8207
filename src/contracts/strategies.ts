import { z } from 'zod';
import { TestPeriodSchema } from './models.js';
import { StrategyNameSchema } from './common.js';

export const TRAINING_STATUSES = ['untrained', 'training', 'trained', 'failed'] as const;
export const TrainingStatusSchema = z.enum(TRAINING_STATUSES);

export const StrategyProblemSchema = z.object({ path: z.string(), message: z.string(), line: z.number().int().optional() });

export const TestMetricsSchema = z
  .looseObject({
    accuracy: z.number().nullable().optional(),
    loss: z.number().nullable().optional(),
    precision: z.number().nullable().optional(),
    recall: z.number().nullable().optional(),
    f1_score: z.number().nullable().optional(),
    baseline_accuracy: z.number().nullable().optional(),
  })
  .meta({ id: 'TestMetrics' });

export const BestSweepSchema = z
  .object({
    sweep_id: z.string(),
    objective: z.string(),
    params: z.record(z.string(), z.unknown()).describe('The configuration, by strategy path'),
    value: z.number().nullable().describe('Mean objective across its seeds, on the validation split'),
    std: z.number().nullable(),
    seeds: z.number().int().describe('Seeds the mean is over'),
    finished_at: z.string().nullable(),
  })
  .meta({ id: 'BestSweep' });

export const StrategySummarySchema = z
  .object({
    name: z.string().describe('File stem; what the API and CLI address it by'),
    model_name: z.string().nullable().describe('`name:` inside the file; models are stored under it (null when invalid)'),
    valid: z.boolean(),
    description: z.string(),
    symbols: z.array(z.string()),
    timeframes: z.array(z.string()),
    training_status: TrainingStatusSchema.describe('From operations and the model store'),
    latest_version: z.number().int().nullable(),
    test_metrics: TestMetricsSchema.nullable().describe('Of the latest model version'),
    test_period: TestPeriodSchema.nullable().describe('Test-period backtest of the latest model version, next to buy-and-hold'),
    best_sweep: BestSweepSchema.nullable().describe('The best configuration of the latest completed sweep of the strategy'),
    errors: z.array(StrategyProblemSchema).optional().describe('Present when the file is invalid'),
  })
  .meta({ id: 'StrategySummary' });

export const StrategyListSchema = z.object({ data: z.array(StrategySummarySchema) }).meta({ id: 'StrategyList' });

export const StrategyDetailSchema = StrategySummarySchema.extend({
  version: z.string(),
  base_timeframe: z.string(),
  start_date: z.string().nullable(),
  end_date: z.string().nullable(),
  indicators: z.array(z.object({ id: z.string(), type: z.string(), params: z.record(z.string(), z.unknown()) })),
  fuzzy_sets: z.array(z.object({ id: z.string(), indicator: z.string(), memberships: z.array(z.string()) })),
  features: z.array(z.string()).describe('Feature ids in network input order'),
  model: z.object({ type: z.string(), hidden_layers: z.array(z.number().int()), activation: z.string(), dropout: z.number() }),
  training: z.object({ epochs: z.number().int(), batch_size: z.number().int(), learning_rate: z.number(), seed: z.number().int() }),
  warnings: z.array(StrategyProblemSchema),
}).meta({ id: 'StrategyDetail' });

export const StrategyParamsSchema = z.strictObject({ name: StrategyNameSchema });

export const StrategyValidationSchema = z
  .object({
    name: z.string(),
    valid: z.boolean(),
    errors: z.array(StrategyProblemSchema),
    warnings: z.array(StrategyProblemSchema),
  })
  .meta({ id: 'StrategyValidation' });

export type TrainingStatus = z.infer<typeof TrainingStatusSchema>;
export type StrategySummary = z.infer<typeof StrategySummarySchema>;
export type StrategyDetail = z.infer<typeof StrategyDetailSchema>;
export type StrategyValidation = z.infer<typeof StrategyValidationSchema>;
