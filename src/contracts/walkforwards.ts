import { z } from 'zod';
import { DateInputSchema, StrategyNameSchema, SymbolSchema } from './common.js';
import { ExecutionModeSchema, OperationErrorSchema, OperationStatusSchema, ProgressSchema } from './operations.js';

const DurationSchema = z.string().regex(/^\d{1,4}[ymwd]$/, 'a duration like 3y, 6m, 2w or 30d');

export const StartWalkForwardRequestSchema = z
  .strictObject({
    strategy_name: StrategyNameSchema,
    train: DurationSchema.describe('Length of each training window, e.g. 3y'),
    test: DurationSchema.describe('Length of the out-of-sample period after it, e.g. 6m'),
    step: DurationSchema.optional().describe('How far each window moves on. Default: test (back-to-back test periods)'),
    start_date: DateInputSchema.optional().describe("Default: the strategy's start_date, else the first bar"),
    end_date: DateInputSchema.optional().describe("Default: the strategy's end_date, else the last bar"),
    symbol: SymbolSchema.optional().describe("Traded out of sample. Default: the strategy's first symbol"),
    epochs: z.number().int().min(1).max(100_000).optional(),
    seed: z.number().int().min(0).max(0xffffffff).optional(),
    max_parallel: z.number().int().min(1).max(1000).optional().describe("Windows trained at once. Default: the server's local training slots"),
    execution_mode: ExecutionModeSchema.optional(),
    require_gpu: z.boolean().default(false),
  })
  .meta({ id: 'StartWalkForwardRequest' });

export const StartWalkForwardResponseSchema = z
  .object({ operation_id: z.string(), status: OperationStatusSchema, strategy: z.string(), windows: z.number().int() })
  .meta({ id: 'StartWalkForwardResponse' });

const FigureSchema = z.number().nullable();

export const WalkForwardWindowSchema = z
  .object({
    index: z.number().int(),
    train_start: z.string(),
    train_end: z.string().describe('One millisecond before test_start: no bar is in both'),
    test_start: z.string(),
    test_end: z.string(),
    operation_id: z.string().nullable().describe("The window's training"),
    status: z.union([OperationStatusSchema, z.literal('queued')]),
    model_version: z.number().int().nullable(),
    bars: z.number().int().nullable().describe('Bars traded out of sample'),
    total_return: FigureSchema,
    sharpe: FigureSchema,
    max_drawdown: FigureSchema,
    trades: z.number().int().nullable(),
    buy_and_hold_return: FigureSchema,
    error: OperationErrorSchema.nullable().describe('Why the window has no out-of-sample figures'),
  })
  .meta({ id: 'WalkForwardWindow' });

export const WalkForwardSchema = z
  .object({
    operation_id: z.string(),
    strategy: z.string(),
    status: OperationStatusSchema,
    symbol: z.string(),
    train: z.string(),
    test: z.string(),
    step: z.string(),
    progress: ProgressSchema.nullable(),
    created_at: z.string(),
    finished_at: z.string().nullable(),
    windows: z.array(WalkForwardWindowSchema),
    metrics: z.record(z.string(), FigureSchema).nullable().describe('Of the stitched out-of-sample curve (see docs/backtest.md)'),
    benchmark: z.record(z.string(), FigureSchema).nullable().describe('Buy-and-hold stitched the same way'),
    equity: z
      .object({ timestamps: z.array(z.string()), equity: z.array(z.number()), benchmark: z.array(z.number()) })
      .nullable()
      .describe('The stitched curve from 1.0: each window starts at the previous window’s end equity'),
  })
  .meta({ id: 'WalkForward' });

export type StartWalkForwardRequest = z.infer<typeof StartWalkForwardRequestSchema>;
export type StartWalkForwardRequestInput = z.input<typeof StartWalkForwardRequestSchema>;
export type StartWalkForwardResponse = z.infer<typeof StartWalkForwardResponseSchema>;
export type WalkForwardResponse = z.infer<typeof WalkForwardSchema>;
