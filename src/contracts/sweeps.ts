import { z } from 'zod';
import { OBJECTIVES } from '../sweeps/objective.js';
import { StrategyNameSchema } from './common.js';
import { ExecutionModeSchema, OperationErrorSchema, OperationStatusSchema, ProgressSchema } from './operations.js';

export const ObjectiveSchema = z.enum(OBJECTIVES);

/** `POST /sweeps`, and (without `strategy_name`, which the command line gives) the sweep YAML file of `ktrdr sweep --file`. */
export const StartSweepRequestSchema = z
  .strictObject({
    strategy_name: StrategyNameSchema.describe('A strategy file stem in the strategies directory'),
    params: z
      .record(z.string().min(1).max(200), z.array(z.unknown()).min(1).max(10_000))
      .describe(
        'Dotted strategy path → the values it takes, e.g. {"training.learning_rate": [0.001, 0.01], "model.hidden_layers": [[32], [64, 32]]}',
      ),
    seeds: z
      .array(z.number().int().min(0).max(0xffffffff))
      .min(1)
      .max(10_000)
      .optional()
      .describe("Each configuration is trained once per seed. Default: the strategy's training.seed only"),
    search: z.enum(['grid', 'random']).default('grid').describe('grid: every combination; random: `samples` of them, drawn with `search_seed`'),
    samples: z.number().int().min(1).max(10_000).optional().describe('Configurations drawn by a random search'),
    search_seed: z
      .number()
      .int()
      .min(0)
      .max(0xffffffff)
      .default(0)
      .describe('Seed of the random search (the same seed draws the same configurations)'),
    objective: ObjectiveSchema.default('val_loss').describe('Ranked on the validation split; the test split stays untouched'),
    max_parallel: z.number().int().min(1).max(1000).optional().describe("Trainings unfinished at once. Default: the server's local training slots"),
    epochs: z.number().int().min(1).max(100_000).optional().describe('Overrides training.epochs in every training'),
    execution_mode: ExecutionModeSchema.optional().describe('Of every training, as in POST /trainings/start'),
    require_gpu: z.boolean().default(false),
  })
  .refine((r) => r.search === 'grid' || r.samples !== undefined, { message: 'a random search needs samples', path: ['samples'] })
  .meta({ id: 'StartSweepRequest' });

export const StartSweepResponseSchema = z
  .object({
    operation_id: z.string(),
    status: OperationStatusSchema,
    strategy: z.string(),
    trainings: z.number().int().describe('Configurations × seeds'),
  })
  .meta({ id: 'StartSweepResponse' });

export const SweepTrialSchema = z.object({
  seed: z.number().int(),
  operation_id: z.string().nullable().describe('The training; null when it could not be started'),
  status: z.union([OperationStatusSchema, z.literal('queued')]),
  value: z.number().nullable().describe('The objective; null until the training completed'),
  model_version: z.number().int().nullable(),
  error: OperationErrorSchema.nullable(),
});

export const SweepConfigurationSchema = z
  .object({
    rank: z.number().int().nullable().describe('1 = best; null while no seed has a value'),
    configuration_id: z.string(),
    params: z.record(z.string(), z.unknown()),
    mean: z.number().nullable().describe('Mean objective across the completed seeds'),
    std: z.number().nullable().describe('Sample standard deviation across seeds; null below two'),
    completed: z.number().int(),
    failed: z.number().int(),
    trials: z.array(SweepTrialSchema),
  })
  .meta({ id: 'SweepConfiguration' });

export const SweepSchema = z
  .object({
    operation_id: z.string(),
    strategy: z.string(),
    status: OperationStatusSchema,
    objective: ObjectiveSchema,
    direction: z.enum(['min', 'max']).describe('min: lower is better (val_loss)'),
    total: z.number().int().describe('Trainings in the sweep'),
    finished: z.number().int().describe('Trainings that have ended (completed, failed or cancelled)'),
    progress: ProgressSchema.nullable(),
    created_at: z.string(),
    finished_at: z.string().nullable(),
    best: SweepConfigurationSchema.nullable(),
    configurations: z.array(SweepConfigurationSchema).describe('Ranked best first; configurations without a value last'),
  })
  .meta({ id: 'Sweep' });

export type StartSweepRequest = z.infer<typeof StartSweepRequestSchema>;
export type StartSweepRequestInput = z.input<typeof StartSweepRequestSchema>;
export type StartSweepResponse = z.infer<typeof StartSweepResponseSchema>;
export type SweepResponse = z.infer<typeof SweepSchema>;
