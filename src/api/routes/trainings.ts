import type { FastifyRequest } from 'fastify';
import { OperationIdParamsSchema } from '../../contracts/operations.js';
import {
  CheckpointAcceptedSchema,
  HostCheckpointSchema,
  PushedArtifactSchema,
  PushedCheckpointSchema,
  StartTrainingRequestSchema,
  StartTrainingResponseSchema,
  TrainingConfigChangeSchema,
  TrainingConfigSchema,
  TrainingResultAcceptedSchema,
} from '../../contracts/trainings.js';
import { KtrdrError } from '../../errors.js';
import type { TrainingService } from '../../trainings/training-service.js';
import { artifactFromJson, type ModelArtifact } from '../../training/artifact.js';
import { principalOf } from '../access.js';
import { jsonRoute, type AnyRoute } from '../route.js';

/** A model artifact is a few KB to a few hundred MB of base64 weights; the limit applies after decompression. */
export const RESULT_BODY_LIMIT_BYTES = 512 * 1024 * 1024;

export function trainingRoutes(training: TrainingService, hostGuard: (request: FastifyRequest) => void): AnyRoute[] {
  return [
    jsonRoute({
      method: 'POST',
      url: '/trainings/start',
      access: 'train',
      tag: 'trainings',
      summary: 'Start a training run',
      description:
        "Validates the strategy and the request, chooses where the run goes (execution_mode, require_gpu, host health), records a `pending` operation with that decision and its reason, and queues the run. Symbols and timeframes default to the strategy's. Returns at once; follow the operation for progress.",
      body: StartTrainingRequestSchema,
      status: 202,
      response: StartTrainingResponseSchema,
      errors: ['INVALID_NAME', 'STRATEGY_NOT_FOUND', 'STRATEGY_INVALID', 'DATA_NOT_FOUND', 'HOST_UNAVAILABLE'],
      async handle({ body }, request) {
        const operation = await training.start({
          strategyName: body.strategy_name,
          symbols: body.symbols,
          timeframes: body.timeframes,
          startDate: body.start_date,
          endDate: body.end_date,
          seed: body.seed,
          epochs: body.epochs,
          executionMode: body.execution_mode,
          requireGpu: body.require_gpu,
          startedBy: principalOf(request)?.name,
        });
        return { operation_id: operation.id, status: operation.status, strategy: operation.strategy, execution: operation.execution };
      },
    }),
    jsonRoute({
      method: 'GET',
      url: '/trainings/config',
      tag: 'trainings',
      summary: 'The default execution mode',
      status: 200,
      response: TrainingConfigSchema,
      async handle() {
        return { default_execution_mode: training.defaultExecutionMode() };
      },
    }),
    jsonRoute({
      method: 'PUT',
      url: '/trainings/config',
      access: 'admin',
      tag: 'trainings',
      summary: 'Change the default execution mode (until the next change or restart)',
      body: TrainingConfigSchema,
      status: 200,
      response: TrainingConfigChangeSchema,
      async handle({ body }) {
        const { current, previous } = training.setDefaultExecutionMode(body.default_execution_mode);
        return { current: { default_execution_mode: current }, previous: { default_execution_mode: previous } };
      },
    }),
    jsonRoute({
      method: 'POST',
      url: '/trainings/:id/result',
      tag: 'trainings',
      summary: "A training host pushes a finished run's model artifact",
      description:
        'Gzip JSON body (`Content-Encoding: gzip`), bearer token required (KTRDR_HOST_TOKEN). The weights hash, operation id and strategy are checked; the model version is written once per operation, so a repeated push answers 200 with the version already saved. A run that failed with HOST_LOST is recovered.',
      params: OperationIdParamsSchema,
      body: PushedArtifactSchema,
      guard: hostGuard,
      bodyLimit: RESULT_BODY_LIMIT_BYTES,
      gzipBody: true,
      status: 200,
      response: TrainingResultAcceptedSchema,
      errors: [
        'UNAUTHORIZED',
        'OPERATION_NOT_FOUND',
        'OPERATION_FINISHED',
        'NOT_A_HOST_RUN',
        'RESULT_NOT_READY',
        'VALIDATION_FAILED',
        'STORAGE_FULL',
        'MODEL_SAVE_FAILED',
        'PAYLOAD_TOO_LARGE',
      ],
      async handle({ params, body }) {
        return training.receivePushedResult(params.id, decodeArtifact(body));
      },
    }),
    jsonRoute({
      method: 'PUT',
      url: '/operations/:id/checkpoint',
      tag: 'trainings',
      summary: "A training host pushes a run's checkpoint",
      description:
        "Gzip JSON body (`Content-Encoding: gzip`), bearer token required (KTRDR_HOST_TOKEN). The file is checked (sha256, `CHECKPOINT_CORRUPT`) and must be this operation's state after `epoch` (`CHECKPOINT_MISMATCH`); the backend keeps the newest two, so a run whose host dies can be resumed from here. Idempotent by epoch.",
      params: OperationIdParamsSchema,
      body: PushedCheckpointSchema,
      guard: hostGuard,
      bodyLimit: RESULT_BODY_LIMIT_BYTES,
      gzipBody: true,
      status: 200,
      response: CheckpointAcceptedSchema,
      errors: [
        'UNAUTHORIZED',
        'OPERATION_NOT_FOUND',
        'OPERATION_FINISHED',
        'NOT_A_HOST_RUN',
        'CHECKPOINT_CORRUPT',
        'CHECKPOINT_MISMATCH',
        'PAYLOAD_TOO_LARGE',
      ],
      async handle({ params, body }) {
        return training.receivePushedCheckpoint(params.id, body.epoch, Buffer.from(body.checkpoint, 'base64'));
      },
    }),
    jsonRoute({
      method: 'GET',
      url: '/operations/:id/checkpoint',
      tag: 'trainings',
      summary: "A training host fetches a run's newest checkpoint",
      description:
        'Bearer token required (KTRDR_HOST_TOKEN). The newest checkpoint the backend holds for a host run that passes its checks (a damaged newest one is skipped for the previous one), as base64 of the file. A host asks for it when a run starts, so that a run resumed on it, or a queue job handed to it after another host died, continues from there; `NO_CHECKPOINT` means it trains from epoch 1.',
      params: OperationIdParamsSchema,
      guard: hostGuard,
      status: 200,
      response: HostCheckpointSchema,
      errors: ['UNAUTHORIZED', 'OPERATION_NOT_FOUND', 'NOT_A_HOST_RUN', 'NO_CHECKPOINT'],
      async handle({ params }) {
        return training.newestCheckpoint(params.id);
      },
    }),
  ];
}

/** One decoder for pushed and pulled artifacts (`artifactFromJson`), so the weights check cannot drift between them. */
function decodeArtifact(body: unknown): ModelArtifact {
  try {
    return artifactFromJson(JSON.stringify(body));
  } catch (error) {
    throw new KtrdrError('VALIDATION_FAILED', `the pushed artifact is not valid: ${error instanceof Error ? error.message : String(error)}`, {
      cause: error,
    });
  }
}
