import { z } from 'zod';
import { DateInputSchema, StrategyNameSchema, SymbolSchema, TimeframeSchema } from './common.js';
import { ExecutionModeSchema, ExecutionRecordSchema, OperationStatusSchema } from './operations.js';

export const StartTrainingRequestSchema = z
  .strictObject({
    strategy_name: StrategyNameSchema.describe('A strategy file stem in the strategies directory'),
    symbols: z.array(SymbolSchema).min(1).max(100).optional().describe("Default: the strategy's training_data.symbols"),
    timeframes: z.array(TimeframeSchema).min(1).max(20).optional().describe("Default: the strategy's training_data.timeframes"),
    start_date: DateInputSchema.optional(),
    end_date: DateInputSchema.optional(),
    seed: z.number().int().min(0).max(0xffffffff).optional().describe("Overrides training.seed"),
    epochs: z.number().int().min(1).max(100_000).optional().describe('Overrides training.epochs'),
    execution_mode: ExecutionModeSchema.default('auto'),
    require_gpu: z.boolean().default(false).describe('Refuse (503 HOST_UNAVAILABLE) rather than run without a GPU'),
  })
  .refine((r) => r.start_date === undefined || r.end_date === undefined || r.start_date <= r.end_date, {
    message: 'start_date must not be after end_date',
    path: ['end_date'],
  })
  .meta({ id: 'StartTrainingRequest' });

export const StartTrainingResponseSchema = z
  .object({
    operation_id: z.string(),
    status: OperationStatusSchema,
    strategy: z.string(),
    execution: ExecutionRecordSchema,
  })
  .meta({ id: 'StartTrainingResponse' });

export type StartTrainingRequest = z.infer<typeof StartTrainingRequestSchema>;
/** What a client may send: defaults not yet applied. */
export type StartTrainingRequestInput = z.input<typeof StartTrainingRequestSchema>;
export type StartTrainingResponse = z.infer<typeof StartTrainingResponseSchema>;
