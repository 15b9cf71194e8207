import { HealthSchema } from '../../contracts/health.js';
import type { AccessStatus } from '../access.js';
import { jsonRoute, type AnyRoute } from '../route.js';
import type { HealthReporter } from '../services/health.js';

export function healthRoutes(health: HealthReporter, access: () => AccessStatus): AnyRoute[] {
  return [
    jsonRoute({
      method: 'GET',
      url: '/health',
      tag: 'health',
      summary: 'Liveness, version, uptime, operation counts and local training capacity',
      access: 'public',
      status: 200,
      response: HealthSchema,
      async handle() {
        return { ...(await health.report()), auth: access() };
      },
    }),
  ];
}
