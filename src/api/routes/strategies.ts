import { StrategyDetailSchema, StrategyListSchema, StrategyParamsSchema, StrategyValidationSchema } from '../../contracts/strategies.js';
import { jsonRoute, type AnyRoute } from '../route.js';
import type { StrategyCatalog } from '../services/strategy-catalog.js';

export function strategyRoutes(strategies: StrategyCatalog): AnyRoute[] {
  return [
    jsonRoute({
      method: 'GET',
      url: '/strategies',
      tag: 'strategies',
      summary: "Every strategy file with its training status, latest model version and that version's test metrics",
      status: 200,
      response: StrategyListSchema,
      async handle() {
        return { data: await strategies.list() };
      },
    }),
    jsonRoute({
      method: 'GET',
      url: '/strategies/:name',
      tag: 'strategies',
      summary: 'One strategy: its definition, features and training status',
      params: StrategyParamsSchema,
      status: 200,
      response: StrategyDetailSchema,
      errors: ['STRATEGY_NOT_FOUND', 'STRATEGY_INVALID'],
      async handle({ params }) {
        return strategies.get(params.name);
      },
    }),
    jsonRoute({
      method: 'POST',
      url: '/strategies/:name/validate',
      access: 'read',
      tag: 'strategies',
      summary: 'Validate a strategy file; an invalid file is a 200 answer listing every problem',
      params: StrategyParamsSchema,
      status: 200,
      response: StrategyValidationSchema,
      errors: ['STRATEGY_NOT_FOUND'],
      async handle({ params }) {
        return strategies.validate(params.name);
      },
    }),
  ];
}
