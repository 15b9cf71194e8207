import type { FastifyRequest } from 'fastify';
import { HostRegistrationSchema } from '../../contracts/host-protocol.js';
import { HostListSchema, HostRegisteredSchema, type HostView } from '../../contracts/hosts.js';
import type { HostPool } from '../../execution/hosts/host-pool.js';
import { jsonRoute, type AnyRoute } from '../route.js';

export function hostRoutes(hosts: HostPool, guard: (request: FastifyRequest) => void, queueHosts?: { list(): HostView[] }): AnyRoute[] {
  return [
    jsonRoute({
      method: 'GET',
      url: '/hosts',
      tag: 'hosts',
      summary: 'Training hosts: health, device, busy state, last seen',
      description:
        'Configured (KTRDR_HOSTS) and self-registered hosts, as of the latest background health check (every few seconds); in cluster mode (KTRDR_REDIS_URL) also the queue hosts, from their heartbeats, with the runs they execute (`current_jobs`).',
      status: 200,
      response: HostListSchema,
      async handle() {
        return { data: [...hosts.list(), ...(queueHosts?.list() ?? [])] };
      },
    }),
    jsonRoute({
      method: 'POST',
      url: '/hosts/register',
      tag: 'hosts',
      summary: 'A training host registers itself; repeated as a heartbeat',
      description: 'Bearer token required (KTRDR_HOST_TOKEN). A host that stops heartbeating and answering is listed as stale, then dropped.',
      body: HostRegistrationSchema,
      guard,
      status: 200,
      response: HostRegisteredSchema,
      errors: ['UNAUTHORIZED'],
      async handle({ body }) {
        const { host, created } = hosts.register(body);
        return { host, created, stale_after_seconds: hosts.registry.staleAfterMs / 1000 };
      },
    }),
  ];
}
