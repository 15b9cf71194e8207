import { z } from 'zod';
import { parseRangeBound } from '../data/timestamp.js';
import { DateInputSchema, StrategyNameSchema, SymbolSchema, TimeframeSchema } from './common.js';
import { ExecutionModeSchema, ExecutionRecordSchema, OperationStatusSchema } from './operations.js';

export const StartTrainingRequestSchema = z
  .strictObject({
    strategy_name: StrategyNameSchema.describe('A strategy file stem in the strategies directory'),
    symbols: z.array(SymbolSchema).min(1).max(100).optional().describe("Default: the strategy's training_data.symbols"),
    timeframes: z.array(TimeframeSchema).min(1).max(20).optional().describe("Default: the strategy's training_data.timeframes"),
    start_date: DateInputSchema.optional(),
    end_date: DateInputSchema.optional(),
    seed: z.number().int().min(0).max(0xffffffff).optional().describe('Overrides training.seed'),
    epochs: z.number().int().min(1).max(100_000).optional().describe('Overrides training.epochs'),
    execution_mode: ExecutionModeSchema.optional().describe(
      'auto: an idle GPU host if one is healthy, else local; local; host: a healthy host, else local (or 503 with require_gpu). Default: the server default (GET /trainings/config)',
    ),
    require_gpu: z.boolean().default(false).describe('Refuse (503 HOST_UNAVAILABLE) rather than run without a GPU'),
  })
  .refine(
    (r) => r.start_date === undefined || r.end_date === undefined || !(parseRangeBound(r.start_date, 'start') > parseRangeBound(r.end_date, 'end')),
    {
      message: 'start_date must not be after end_date',
      path: ['end_date'],
    },
  )
  .meta({ id: 'StartTrainingRequest' });

export const StartTrainingResponseSchema = z
  .object({
    operation_id: z.string(),
    status: OperationStatusSchema,
    strategy: z.string(),
    execution: ExecutionRecordSchema,
  })
  .meta({ id: 'StartTrainingResponse' });

/** `GET /trainings/config`, and the body of `PUT /trainings/config`. */
export const TrainingConfigSchema = z
  .strictObject({
    default_execution_mode: ExecutionModeSchema.describe(
      'Used when a start request has no execution_mode; starts as TRAINING_DEFAULT_MODE (auto if unset)',
    ),
  })
  .meta({ id: 'TrainingConfig' });

export const TrainingConfigChangeSchema = z
  .object({ current: TrainingConfigSchema, previous: TrainingConfigSchema })
  .meta({ id: 'TrainingConfigChange' });

/**
 * Body of `POST /trainings/{id}/result` (a host pushing a finished run's artifact, gzip JSON): the artifact as
 * `artifactToJson` writes it. Only what routing and checks need is declared; the weights hash is verified on receipt.
 */
export const PushedArtifactSchema = z.looseObject({
  format: z.string(),
  strategy_name: z.string(),
  weights: z.string().describe('base64'),
  manifest: z.looseObject({ operation_id: z.string().nullable(), weights_sha256: z.string() }),
});

export const TrainingResultAcceptedSchema = z
  .object({
    operation_id: z.string(),
    model_strategy: z.string(),
    model_version: z.number().int(),
    created: z.boolean().describe("False when this operation's model had already been saved (a repeated push)"),
    recovered: z.boolean().describe('True when the operation had failed with HOST_LOST and its model was recovered'),
  })
  .meta({ id: 'TrainingResultAccepted' });

/**
 * Body of `PUT /operations/{id}/checkpoint` (a host pushing a run's checkpoint, gzip JSON): the checkpoint file's
 * bytes and the epoch they are the state after. Idempotent by epoch: the same epoch again replaces the same file.
 */
export const PushedCheckpointSchema = z
  .strictObject({
    epoch: z.number().int().min(1),
    checkpoint: z.string().describe('base64 of the checkpoint file'),
  })
  .meta({ id: 'PushedCheckpoint' });

export const CheckpointAcceptedSchema = z
  .object({ operation_id: z.string(), epoch: z.number().int(), bytes: z.number().int() })
  .meta({ id: 'CheckpointAccepted' });

export const HostCheckpointSchema = z
  .object({
    operation_id: z.string(),
    epoch: z.number().int().min(1),
    checkpoint: z.string().describe('base64 of the checkpoint file'),
  })
  .meta({ id: 'HostCheckpoint' });

export type PushedCheckpoint = z.infer<typeof PushedCheckpointSchema>;
export type HostCheckpoint = z.infer<typeof HostCheckpointSchema>;
export type StartTrainingRequest = z.infer<typeof StartTrainingRequestSchema>;
/** What a client may send: defaults not yet applied. */
export type StartTrainingRequestInput = z.input<typeof StartTrainingRequestSchema>;
export type StartTrainingResponse = z.infer<typeof StartTrainingResponseSchema>;
export type TrainingConfig = z.infer<typeof TrainingConfigSchema>;
export type TrainingConfigChange = z.infer<typeof TrainingConfigChangeSchema>;
export type TrainingResultAccepted = z.infer<typeof TrainingResultAcceptedSchema>;
