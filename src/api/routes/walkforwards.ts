import { OperationIdParamsSchema } from '../../contracts/operations.js';
import { StartWalkForwardRequestSchema, StartWalkForwardResponseSchema, WalkForwardSchema } from '../../contracts/walkforwards.js';
import { walkForwardParamsFromRequest, walkForwardView } from '../../sweeps/walkforward-request.js';
import type { WalkForwardService } from '../../sweeps/walkforward-service.js';
import { principalOf } from '../access.js';
import { jsonRoute, type AnyRoute } from '../route.js';

export function walkForwardRoutes(walkForwards: WalkForwardService): AnyRoute[] {
  return [
    jsonRoute({
      method: 'POST',
      url: '/walkforwards',
      access: 'train',
      tag: 'sweeps',
      summary: 'Start a walk-forward: retrain on rolling windows and trade each next period out of sample',
      description:
        "Each window is an ordinary training on its date range (`request.parent_id` is the walk-forward); its model is then backtested on the period after it. The out-of-sample curves are stitched into one, each window starting from the previous window's end equity. Every window's training is validated first. Cancel with `DELETE /operations/{id}`.",
      body: StartWalkForwardRequestSchema,
      status: 202,
      response: StartWalkForwardResponseSchema,
      errors: ['INVALID_NAME', 'STRATEGY_NOT_FOUND', 'STRATEGY_INVALID', 'DATA_NOT_FOUND', 'DATA_EMPTY_RANGE', 'SHUTTING_DOWN'],
      async handle({ body }, request) {
        const operation = await walkForwards.start(walkForwardParamsFromRequest(body, principalOf(request)?.name));
        const windows = (operation.request.windows as unknown[]).length;
        return { operation_id: operation.id, status: operation.status, strategy: operation.strategy, windows };
      },
    }),
    jsonRoute({
      method: 'GET',
      url: '/walkforwards/:id',
      tag: 'sweeps',
      summary: 'A walk-forward: per-window table, stitched out-of-sample curve and its metrics',
      description: 'The curve and its metrics are null until every window has ended.',
      params: OperationIdParamsSchema,
      status: 200,
      response: WalkForwardSchema,
      errors: ['OPERATION_NOT_FOUND'],
      async handle({ params }) {
        return walkForwardView(await walkForwards.report(params.id));
      },
    }),
  ];
}
