import { StartTrainingRequestSchema, StartTrainingResponseSchema } from '../../contracts/trainings.js';
import type { TrainingService } from '../../execution/training-service.js';
import { jsonRoute, type AnyRoute } from '../route.js';

export function trainingRoutes(training: TrainingService): AnyRoute[] {
  return [
    jsonRoute({
      method: 'POST',
      url: '/trainings/start',
      tag: 'trainings',
      summary: 'Start a training run',
      description:
        'Validates the strategy and the request, records a `pending` operation and queues the run. Symbols and timeframes default to the strategy\'s. Returns at once; follow the operation for progress.',
      body: StartTrainingRequestSchema,
      status: 202,
      response: StartTrainingResponseSchema,
      errors: ['INVALID_NAME', 'STRATEGY_NOT_FOUND', 'STRATEGY_INVALID', 'DATA_NOT_FOUND', 'HOST_UNAVAILABLE'],
      async handle({ body }) {
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
        });
        return { operation_id: operation.id, status: operation.status, strategy: operation.strategy, execution: operation.execution };
      },
    }),
  ];
}
