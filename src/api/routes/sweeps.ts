import { OperationIdParamsSchema } from '../../contracts/operations.js';
import { StartSweepRequestSchema, StartSweepResponseSchema, SweepSchema } from '../../contracts/sweeps.js';
import { sweepParamsFromRequest, sweepView } from '../../sweeps/sweep-request.js';
import type { SweepService } from '../../sweeps/sweep-service.js';
import { principalOf } from '../access.js';
import { jsonRoute, type AnyRoute } from '../route.js';

export function sweepRoutes(sweeps: SweepService): AnyRoute[] {
  return [
    jsonRoute({
      method: 'POST',
      url: '/sweeps',
      access: 'train',
      tag: 'sweeps',
      summary: 'Start a parameter sweep',
      description:
        'Trains every configuration of the grid (or a seeded random sample of it) once per seed, as ordinary trainings whose `request.parent_id` is the sweep. Every configuration is validated first: one invalid value fails the request and nothing starts. Cancel the sweep with `DELETE /operations/{id}`; its queued and running trainings are cancelled with it.',
      body: StartSweepRequestSchema,
      status: 202,
      response: StartSweepResponseSchema,
      errors: ['INVALID_NAME', 'STRATEGY_NOT_FOUND', 'STRATEGY_INVALID', 'DATA_NOT_FOUND', 'SHUTTING_DOWN'],
      async handle({ body }, request) {
        const sweep = await sweeps.start(sweepParamsFromRequest(body, principalOf(request)?.name));
        return { operation_id: sweep.id, status: sweep.status, strategy: sweep.strategy, trainings: sweep.request.trainings as number };
      },
    }),
    jsonRoute({
      method: 'GET',
      url: '/sweeps/:id',
      tag: 'sweeps',
      summary: 'A sweep: its configurations ranked by the objective, mean ± std across seeds',
      description: 'Live while the sweep runs (configurations without a value yet come last), final once it completed.',
      params: OperationIdParamsSchema,
      status: 200,
      response: SweepSchema,
      errors: ['OPERATION_NOT_FOUND'],
      async handle({ params }) {
        return sweepView(await sweeps.report(params.id));
      },
    }),
  ];
}
