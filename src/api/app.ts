import type { FastifyInstance } from 'fastify';
import type { HostView } from '../contracts/hosts.js';
import type { HostPool } from '../execution/hosts/host-pool.js';
import type { SweepService } from '../sweeps/sweep-service.js';
import type { WalkForwardService } from '../sweeps/walkforward-service.js';
import type { BacktestService } from '../trainings/backtest-service.js';
import type { TrainingService } from '../trainings/training-service.js';
import { createHttpApp } from '../http/app.js';
import type { TlsFiles } from '../http/tls.js';
import type { Logger } from '../util/logger.js';
import { packageVersion } from '../util/package-info.js';
import { installAccessControl, pageContentSecurityPolicy, type AccessOptions } from './access.js';
import { defaultDashboardDir, registerDashboard } from './dashboard.js';
import { hostAuthGuard, type HostAuthOptions } from './host-auth.js';
import { buildOpenApiDocument, docsPage } from './openapi.js';
import { registerRoutes, type AnyRoute } from './route.js';
import { backtestRoutes } from './routes/backtests.js';
import { dataRoutes } from './routes/data.js';
import { healthRoutes } from './routes/health.js';
import { hostRoutes } from './routes/hosts.js';
import { modelRoutes } from './routes/models.js';
import { sessionRoutes } from './routes/session.js';
import { operationRoutes } from './routes/operations.js';
import { strategyRoutes } from './routes/strategies.js';
import { sweepRoutes } from './routes/sweeps.js';
import { walkForwardRoutes } from './routes/walkforwards.js';
import { trainingRoutes } from './routes/trainings.js';
import type { BacktestResults } from './services/backtest-results.js';
import type { DataFiles } from './services/data-files.js';
import type { HealthReporter } from './services/health.js';
import type { ModelCatalog } from './services/model-catalog.js';
import type { OperationQueries } from './services/operation-queries.js';
import type { StrategyCatalog } from './services/strategy-catalog.js';
import { SseConnections } from './sse.js';

export const API_PREFIX = '/api/v1';
/** 1 MiB: the largest legitimate body (a predict or start request) is a few hundred bytes. */
export const DEFAULT_BODY_LIMIT_BYTES = 1024 * 1024;

/** The services the HTTP layer calls; built by `createBackend` (or by a test, with real parts in a temp dir). */
export interface AppDeps {
  readonly training: TrainingService;
  /** Backtests of stored models as operations, and their results. */
  readonly backtests: BacktestService;
  readonly backtestResults: BacktestResults;
  /** Parameter sweeps over trainings. */
  readonly sweeps: SweepService;
  readonly walkForwards: WalkForwardService;
  readonly operations: OperationQueries;
  readonly strategies: StrategyCatalog;
  readonly models: ModelCatalog;
  readonly health: HealthReporter;
  /** Training hosts: listing, registration. */
  readonly hosts: HostPool;
  /** Cluster mode: the queue hosts, listed with the others. */
  readonly queueHosts?: { list(): HostView[] };
  /** Market data for hosts to download. */
  readonly dataFiles: DataFiles;
  /** Who may call the endpoints hosts use (register, result push, data). */
  readonly hostAuth: HostAuthOptions;
  /** API tokens, Host allowlist, security headers. */
  readonly access: AccessOptions;
  /** Server log (errors, with request ids). @defaultValue silent */
  readonly logger?: Logger;
  /** @defaultValue 1 MiB */
  readonly bodyLimitBytes?: number;
  /** The built dashboard served at `/`. @defaultValue dist/web of this package */
  readonly dashboardDir?: string;
  /** Serve HTTPS. @defaultValue plain HTTP */
  readonly tls?: TlsFiles;
}

/**
 * The backend HTTP app, not yet listening: routes under `/api/v1`, one error body everywhere, JSON bodies only,
 * OpenAPI document and docs page generated from the contracts. Owns nothing it is given; `createBackend` closes the
 * services.
 */
export function buildApp(deps: AppDeps): FastifyInstance {
  const app = createHttpApp({
    logger: deps.logger,
    bodyLimitBytes: deps.bodyLimitBytes ?? DEFAULT_BODY_LIMIT_BYTES,
    notFoundHint: `the API is under ${API_PREFIX}; see ${API_PREFIX}/docs`,
    tls: deps.tls,
  });

  const streams = new SseConnections();
  // Open event streams would keep `close()` waiting for their clients; end them so shutdown is prompt.
  app.addHook('preClose', (done) => {
    streams.endAll();
    done();
  });

  const accessStatus = installAccessControl(app, deps.access);
  const hostGuard = hostAuthGuard(deps.hostAuth);
  const routes: AnyRoute[] = [
    ...healthRoutes(deps.health, accessStatus),
    ...trainingRoutes(deps.training, hostGuard),
    ...operationRoutes(deps.operations, deps.training, streams),
    ...backtestRoutes(deps.backtests, deps.backtestResults),
    ...sweepRoutes(deps.sweeps),
    ...walkForwardRoutes(deps.walkForwards),
    ...strategyRoutes(deps.strategies),
    ...modelRoutes(deps.models),
    ...hostRoutes(deps.hosts, hostGuard, deps.queueHosts),
    ...dataRoutes(deps.dataFiles, hostGuard),
    ...(deps.access.sessions !== undefined
      ? sessionRoutes({
          sessions: deps.access.sessions,
          tokens: deps.access.tokens,
          access: accessStatus,
          secureCookies: deps.access.secureCookies === true,
        })
      : []),
  ];
  registerRoutes(app, API_PREFIX, routes);

  const document = buildOpenApiDocument(routes, { prefix: API_PREFIX, version: packageVersion() });
  const page = docsPage(`${API_PREFIX}/openapi.json`);
  const pagePolicy = pageContentSecurityPolicy(page);
  app.get(`${API_PREFIX}/openapi.json`, async () => document);
  app.get(`${API_PREFIX}/docs`, async (_request, reply) =>
    reply.header('content-security-policy', pagePolicy).type('text/html; charset=utf-8').send(page),
  );
  registerDashboard(app, { dir: deps.dashboardDir ?? defaultDashboardDir(), apiPrefix: API_PREFIX });
  return app;
}
