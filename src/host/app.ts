import type { FastifyInstance } from 'fastify';
import { HostRunParamsSchema, HostRunQuerySchema, HostStartRequestSchema } from '../contracts/host-protocol.js';
import { createHttpApp } from '../http/app.js';
import type { TlsFiles } from '../http/tls.js';
import { bearerTokenGuard } from '../http/bearer-token.js';
import { parsePart } from '../http/parse.js';
import type { Logger } from '../util/logger.js';
import type { HostRuns } from './host-runs.js';

/** 4 MiB: a start request carries the strategy text (up to 1 MB of characters, more once JSON-escaped). */
export const DEFAULT_HOST_BODY_LIMIT_BYTES = 4 * 1024 * 1024;

const HEALTH_PATH = '/health';

export interface HostAppDeps {
  readonly runs: HostRuns;
  /**
   * The shared secret every endpoint but `/health` requires as `Authorization: Bearer <token>`. Undefined turns the
   * check off, which only `ktrdr host --insecure` asks for.
   */
  readonly token: string | undefined;
  /** Requests (debug for reads, info for changes) and unexpected errors. @defaultValue silent */
  readonly logger?: Logger;
  /** @defaultValue 4 MiB */
  readonly bodyLimitBytes?: number;
  /** Serve HTTPS. @defaultValue plain HTTP */
  readonly tls?: TlsFiles;
}

/**
 * The training host's HTTP app, not yet listening: the endpoints of `src/contracts/host-protocol.ts`, bearer-token
 * auth, and the same error body as the backend. Owns nothing it is given; the host's composition root closes `runs`.
 */
export function buildHostApp(deps: HostAppDeps): FastifyInstance {
  const { runs } = deps;
  // Request lines are off (the backend polls every run several times a second); they are logged at debug below.
  const app = createHttpApp({
    logger: deps.logger,
    bodyLimitBytes: deps.bodyLimitBytes ?? DEFAULT_HOST_BODY_LIMIT_BYTES,
    notFoundHint: 'host endpoints: /health and /training/...',
    tls: deps.tls,
  });

  if (deps.token !== undefined) {
    const guard = bearerTokenGuard(deps.token, 'send Authorization: Bearer <KTRDR_HOST_TOKEN>, the secret the host was started with');
    // onRequest runs before the body is read, so an unauthorised caller cannot make the host parse anything.
    app.addHook('onRequest', async (request) => {
      if (request.routeOptions.url === HEALTH_PATH) return;
      guard(request);
    });
  }
  app.addHook('onResponse', async (request, reply) => {
    const line = { method: request.method, url: request.url, status: reply.statusCode, ms: Math.round(reply.elapsedTime) };
    if (request.method === 'GET') request.log.debug(line, 'request');
    else request.log.info(line, 'request');
  });

  app.get(HEALTH_PATH, async () => runs.health());

  app.post('/training/start', async (request, reply) => {
    const body = parsePart(HostStartRequestSchema, request.body, 'body');
    return reply.code(202).send(runs.start(body));
  });

  app.get('/training/:id', async (request) => {
    const { id } = parsePart(HostRunParamsSchema, request.params, 'path');
    return runs.status(id, parsePart(HostRunQuerySchema, request.query ?? {}, 'query'));
  });

  app.post('/training/:id/cancel', async (request, reply) => {
    const { id } = parsePart(HostRunParamsSchema, request.params, 'path');
    return reply.code(202).send(runs.cancel(id));
  });

  app.get('/training/:id/result', async (request, reply) => {
    const { id } = parsePart(HostRunParamsSchema, request.params, 'path');
    const gzipped = runs.result(id);
    // Already gzip: sent as stored, never compressed again. Headers only once there is a result, so an error body
    // is not labelled gzip.
    return reply.code(200).header('content-encoding', 'gzip').type('application/json').send(gzipped);
  });

  app.delete('/training/:id', async (request, reply) => {
    const { id } = parsePart(HostRunParamsSchema, request.params, 'path');
    runs.remove(id);
    return reply.code(204).send();
  });

  return app;
}
