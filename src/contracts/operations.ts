import { z } from 'zod';
import { EXECUTION_MODES, OPERATION_STATUSES, OPERATION_TYPES } from '../operations/operation.js';
import { LOG_LEVELS } from '../util/logger.js';
import { TRAINING_STEPS } from '../training/steps.js';
import { IsoTimestampSchema, StrategyNameSchema, queryInteger } from './common.js';

export const OperationStatusSchema = z.enum(OPERATION_STATUSES);
export const OperationTypeSchema = z.enum(OPERATION_TYPES);
export const ExecutionModeSchema = z.enum(EXECUTION_MODES);

const STEP_KEYS = TRAINING_STEPS.map((s) => s.key) as [string, ...string[]];

export const ProgressSchema = z
  .object({
    percent: z.number().min(0).max(100).describe('Phase-weighted, never decreases within a run'),
    step: z.enum(STEP_KEYS),
    step_index: z.number().int(),
    total_steps: z.number().int(),
    message: z.string(),
    epoch: z.number().int().optional(),
    total_epochs: z.number().int().optional(),
    batch: z.number().int().optional(),
    total_batches: z.number().int().optional(),
    metrics: z
      .object({
        train_loss: z.number().optional(),
        train_accuracy: z.number().optional(),
        val_loss: z.number().optional(),
        val_accuracy: z.number().optional(),
      })
      .optional(),
    eta_seconds: z.number().optional().describe('Estimated seconds left; absent until it can be estimated'),
  })
  .meta({ id: 'Progress' });

export const ExecutionRecordSchema = z
  .object({
    requested: ExecutionModeSchema,
    selected: z.enum(['local', 'host']).nullable(),
    reason: z.string().nullable().describe('Why this target was chosen; fallbacks say so here'),
    host: z.string().optional(),
    device: z.string().optional(),
  })
  .meta({ id: 'ExecutionRecord' });

export const OperationErrorSchema = z.object({ code: z.string(), message: z.string() });

/** What a completed training left behind; `model_version` is null only when no model was written. */
export const OperationResultSchema = z.looseObject({
  model_version: z.number().int().nullable(),
  model_strategy: z.string().optional(),
  test_metrics: z.record(z.string(), z.unknown()).optional(),
  training_metrics: z.record(z.string(), z.unknown()).optional(),
  data_summary: z.record(z.string(), z.unknown()).optional(),
});

export const OperationSchema = z
  .object({
    operation_id: z.string(),
    type: OperationTypeSchema,
    strategy: z.string(),
    status: OperationStatusSchema,
    parent_id: z.string().nullable().describe('The sweep or walk-forward this training is part of (its `request.parent_id`)'),
    request: z.record(z.string(), z.unknown()).describe('The request as accepted'),
    created_at: IsoTimestampSchema,
    started_at: IsoTimestampSchema.nullable(),
    finished_at: IsoTimestampSchema.nullable(),
    cancel_requested_at: IsoTimestampSchema.nullable(),
    duration_seconds: z.number().nullable().describe('From start to finish (or to now while running)'),
    progress: ProgressSchema.nullable(),
    execution: ExecutionRecordSchema,
    error: OperationErrorSchema.nullable(),
    result: OperationResultSchema.nullable(),
  })
  .meta({ id: 'Operation' });

export const OperationIdParamsSchema = z.strictObject({ id: z.string().min(1).max(100) });

const STATUS_LIST = new RegExp(`^(${OPERATION_STATUSES.join('|')})(,(${OPERATION_STATUSES.join('|')}))*$`);

export const ListOperationsQuerySchema = z.strictObject({
  status: z
    .string()
    .regex(STATUS_LIST, `one or more of ${OPERATION_STATUSES.join(', ')}, comma-separated`)
    .optional(),
  type: OperationTypeSchema.optional(),
  strategy: StrategyNameSchema.optional(),
  limit: queryInteger(1, 500).optional().describe('Page size, 1..500, default 50'),
  cursor: z.string().max(500).optional().describe('next_cursor of the previous page'),
});

export const OperationListSchema = z
  .object({
    data: z.array(OperationSchema).describe('Newest first'),
    next_cursor: z.string().nullable().describe('Null on the last page'),
    total: z.number().int().describe('Operations matching the filters, on all pages'),
  })
  .meta({ id: 'OperationList' });

export const EpochMetricsSchema = z.looseObject({
  epoch: z.number().int(),
  train_loss: z.number().nullable().optional(),
  train_accuracy: z.number().nullable().optional(),
  val_loss: z.number().nullable().optional(),
  val_accuracy: z.number().nullable().optional(),
  learning_rate: z.number().nullable().optional(),
  duration_ms: z.number().nullable().optional(),
});

export const MetricsQuerySchema = z.strictObject({
  since_epoch: queryInteger(0, 1_000_000).optional().describe('Only epochs after this one'),
});

export const OperationMetricsSchema = z
  .object({
    operation_id: z.string(),
    epochs: z.array(EpochMetricsSchema).describe('One record per epoch, in epoch order'),
    best_epoch: z.number().int().nullable().describe('Epoch with the lowest validation loss so far'),
    best_val_loss: z.number().nullable(),
  })
  .meta({ id: 'OperationMetrics' });

export const LogLevelSchema = z.enum(LOG_LEVELS);

export const LogsQuerySchema = z.strictObject({
  level: LogLevelSchema.optional().describe('Lowest level returned; default debug (everything stored)'),
});

export const LogLineSchema = z.object({ time: IsoTimestampSchema, level: LogLevelSchema, msg: z.string() });

export const OperationLogsSchema = z.object({ operation_id: z.string(), lines: z.array(LogLineSchema) }).meta({ id: 'OperationLogs' });

export const CancelRequestSchema = z.strictObject({ reason: z.string().max(500).optional() }).optional();

export const CancelResponseSchema = z
  .object({
    operation_id: z.string(),
    status: OperationStatusSchema.describe('`cancelling` until the run confirms it stopped; `cancelled` for a run that had not started'),
  })
  .meta({ id: 'CancelResponse' });

export const EventsQuerySchema = z.strictObject({
  after: queryInteger(0, Number.MAX_SAFE_INTEGER).optional().describe('Resume after this event seq (like Last-Event-ID)'),
});

export const OPERATION_EVENT_KINDS = ['progress', 'log', 'metric', 'status'] as const;

/** The `data:` of each Server-Sent Event; the SSE `id:` is `seq` and `event:` is `kind`. */
export const OperationEventSchema = z
  .object({
    seq: z.number().int(),
    operation_id: z.string(),
    kind: z.enum(OPERATION_EVENT_KINDS),
    time: IsoTimestampSchema,
    data: z.record(z.string(), z.unknown()),
  })
  .meta({ id: 'OperationEvent' });

export type OperationResponse = z.infer<typeof OperationSchema>;
export type OperationList = z.infer<typeof OperationListSchema>;
export type OperationMetricsResponse = z.infer<typeof OperationMetricsSchema>;
export type OperationLogsResponse = z.infer<typeof OperationLogsSchema>;
export type CancelResponse = z.infer<typeof CancelResponseSchema>;
export type OperationEventWire = z.infer<typeof OperationEventSchema>;
export type ListOperationsQuery = z.infer<typeof ListOperationsQuerySchema>;
