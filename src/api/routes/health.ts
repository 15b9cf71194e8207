import { HealthSchema } from '../../contracts/health.js';
import { jsonRoute, type AnyRoute } from '../route.js';
import type { HealthReporter } from '../services/health.js';

export function healthRoutes(health: HealthReporter): AnyRoute[] {
  return [
    jsonRoute({
      method: 'GET',
      url: '/health',
      tag: 'health',
      summary: 'Liveness, version, uptime, operation counts and local training capacity',
      status: 200,
      response: HealthSchema,
      async handle() {
        return health.report();
      },
    }),
  ];
}
