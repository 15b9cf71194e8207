import type { QueueHosts, QueueHostsOptions } from '../execution/queue/queue-hosts.js';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { SessionStore } from '../auth/session-store.js';
import { CheckpointStore } from '../checkpoints/checkpoint-store.js';
import { autoResumeFromEnv, saveRetryMsFromEnv, sessionTtlMsFromEnv, type Settings } from '../config/settings.js';
import { MarketDataRepository } from '../data/repository.js';
import { ExecutionDefaults } from '../trainings/execution-defaults.js';
import { HostPool } from '../execution/hosts/host-pool.js';
import { HostRegistry } from '../execution/hosts/host-registry.js';
import { hostSettingsFromEnv, type HostSettings } from '../execution/hosts/host-settings.js';
import { LocalExecutor } from '../execution/local/local-executor.js';
import { SweepService } from '../sweeps/sweep-service.js';
import { WalkForwardService } from '../sweeps/walkforward-service.js';
import { BacktestService } from '../trainings/backtest-service.js';
import { TrainingService } from '../trainings/training-service.js';
import { listenOrExplain } from '../http/app.js';
import { schemeOf, type TlsFiles } from '../http/tls.js';
import { FileModelStore } from '../models/model-store.js';
import type { Operation } from '../operations/operation.js';
import { SqliteOperationStore } from '../operations/sqlite/sqlite-operation-store.js';
import { FileDigests } from '../util/file-digests.js';
import { silentLogger, type Logger } from '../util/logger.js';
import { TokenStore } from '../auth/token-store.js';
import { KtrdrError } from '../errors.js';
import { isLoopbackHost, type AccessOptions } from './access.js';
import { buildApp } from './app.js';
import { acquireHomeLock } from './home-lock.js';
import { BacktestResults } from './services/backtest-results.js';
import { DataFiles } from './services/data-files.js';
import { HealthReporter } from './services/health.js';
import { ModelCatalog } from './services/model-catalog.js';
import { OperationQueries } from './services/operation-queries.js';
import { StrategyCatalog } from './services/strategy-catalog.js';

export interface BackendOptions {
  readonly settings: Settings;
  /** Cores for local training (each run holds `KTRDR_THREADS_PER_RUN`). @defaultValue `KTRDR_LOCAL_CONCURRENCY`, else cores - 1 */
  readonly concurrency?: number;
  readonly logger?: Logger;
  readonly bodyLimitBytes?: number;
  /** Training hosts, token, default mode, timeouts. @defaultValue read from the environment (`hostSettingsFromEnv`) */
  readonly hosts?: HostSettings;
  /** `--insecure-hosts`: without KTRDR_HOST_TOKEN, leave the host endpoints open (otherwise they refuse everyone). */
  readonly insecureHosts?: boolean;
  /** The interface the server will listen on: beyond loopback, API tokens are always required. @defaultValue loopback */
  readonly listenHost?: string;
  /** `ktrdr serve --insecure`: listen beyond loopback without an admin token, open while no token exists. */
  readonly insecure?: boolean;
  /** Extra host names requests may name in `Host` (KTRDR_ALLOWED_HOSTS). */
  readonly allowedHosts?: readonly string[];
  /** Serve HTTPS (`--tls-cert` / `--tls-key`). @defaultValue plain HTTP */
  readonly tls?: TlsFiles;
  /** Wrong tokens one client may send per window before 429. @defaultValue 10 per minute */
  readonly failedLogins?: AccessOptions['failedLogins'];
  /** How often models whose save failed are offered to the model store again. @defaultValue `KTRDR_SAVE_RETRY_MS`, else 30 s */
  readonly keptModelRetryMs?: number;
  /** How long a dashboard login lasts. @defaultValue `KTRDR_SESSION_HOURS`, else 12 hours */
  readonly sessionTtlMs?: number;
  /**
   * Resume from their checkpoints the local trainings a restart interrupted, and the runs lost with their training
   * host (HOST_LOST). @defaultValue `KTRDR_AUTO_RESUME`, else on
   */
  readonly autoResume?: boolean;
}

export interface Backend {
  readonly app: FastifyInstance;
  readonly training: TrainingService;
  readonly backtests: BacktestService;
  readonly sweeps: SweepService;
  readonly walkForwards: WalkForwardService;
  /** Operations a previous process left unfinished, failed as INTERRUPTED at start-up. */
  readonly interrupted: readonly Operation[];
  /** Runs a previous process left on training hosts, followed again from start-up. */
  readonly reattached: readonly Operation[];
  /** Local trainings a previous process left unfinished, resumed from their checkpoints at start-up. */
  readonly resumed: readonly Operation[];
  readonly hosts: HostPool;
  /** Stops the HTTP app, cancels this process's runs (recorded as cancelled), then closes the database. */
  close(): Promise<void>;
}

/** The composition root: every real dependency wired once, from settings. `KTRDR_HOME/ktrdr.db` holds the operations. */
export async function createBackend(options: BackendOptions): Promise<Backend> {
  const { settings } = options;
  const logger = options.logger ?? silentLogger();
  const releaseHome = acquireHomeLock(settings.homeDir);
  let operations: SqliteOperationStore;
  let tokens: TokenStore;
  try {
    operations = new SqliteOperationStore(join(settings.homeDir, 'ktrdr.db'));
  } catch (error) {
    releaseHome();
    throw error;
  }
  try {
    tokens = new TokenStore(settings.homeDir);
  } catch (error) {
    await operations.close();
    releaseHome();
    throw error;
  }
  try {
    const models = new FileModelStore(settings.modelsDir);
    const data = new MarketDataRepository(settings.dataDir);
    const checkpointDir = join(settings.homeDir, 'checkpoints');
    const executor = new LocalExecutor({ dataDir: settings.dataDir, concurrency: options.concurrency, checkpointDir });
    const hostSettings = options.hosts ?? hostSettingsFromEnv();
    if (hostSettings.hosts.length > 0 && hostSettings.token === undefined && !options.insecureHosts) {
      logger.warn(
        'training hosts are configured but KTRDR_HOST_TOKEN is not set: hosts cannot push results or download data (set the token, or pass --insecure-hosts)',
      );
    }
    const digests = new FileDigests();
    // Known once the server listens (KTRDR_PUBLIC_URL wins): hosts push results there.
    let listeningUrl: string | undefined;
    const hosts = new HostPool({
      registry: new HostRegistry({
        configured: hostSettings.hosts,
        healthTimeoutMs: hostSettings.healthTimeoutMs,
        checkIntervalMs: hostSettings.healthIntervalMs,
        logger,
      }),
      token: hostSettings.token,
      publicUrl: () => hostSettings.publicUrl ?? listeningUrl,
      settings: hostSettings.run,
      logger,
    });
    // Cluster mode: remote runs go to the queues instead of the HTTP hosts (which stay listed, and unused).
    const queueHosts =
      hostSettings.redisUrl === undefined
        ? undefined
        : await connectQueueHosts({ redisUrl: hostSettings.redisUrl, publicUrl: () => hostSettings.publicUrl ?? listeningUrl, logger });
    const autoResume = options.autoResume ?? autoResumeFromEnv();
    const training = new TrainingService({
      operations,
      models,
      executor,
      hosts: queueHosts ?? hosts,
      defaults: new ExecutionDefaults(hostSettings.defaultMode),
      strategiesDir: settings.strategiesDir,
      dataDir: settings.dataDir,
      digests,
      spoolDir: join(settings.homeDir, 'kept-models'),
      keptModelRetryMs: options.keptModelRetryMs ?? saveRetryMsFromEnv(),
      checkpoints: new CheckpointStore(checkpointDir),
      resumeLostRuns: autoResume,
      logger,
    });
    const backtests = new BacktestService({
      operations,
      models,
      modelsDir: settings.modelsDir,
      dataDir: settings.dataDir,
      resultsDir: join(settings.homeDir, 'backtests'),
      logger,
    });
    const sweeps = new SweepService({ operations, training, logger });
    const walkForwards = new WalkForwardService({ operations, training, models, data, logger });
    // Backtests left running by a killed server are local runs: failed as INTERRUPTED here, with the trainings.
    const { interrupted, reattached, resumed } = await training.resumeAfterRestart({ autoResume });
    const app = buildApp({
      training,
      backtests,
      sweeps,
      walkForwards,
      backtestResults: new BacktestResults(operations, (id) => backtests.resultDir(id)),
      operations: new OperationQueries(operations),
      strategies: new StrategyCatalog({ strategiesDir: settings.strategiesDir, operations, models }),
      models: new ModelCatalog(models, data),
      health: new HealthReporter(operations, executor),
      hosts,
      queueHosts,
      dataFiles: new DataFiles(settings.dataDir, digests),
      hostAuth: { token: hostSettings.token, insecure: options.insecureHosts },
      access: {
        tokens,
        networkBound: options.listenHost !== undefined && !isLoopbackHost(options.listenHost),
        insecure: options.insecure === true,
        sessions: new SessionStore({ ttlMs: options.sessionTtlMs ?? sessionTtlMsFromEnv() }),
        secureCookies: hostSettings.publicUrl?.startsWith('https:') === true,
        failedLogins: options.failedLogins,
        allowedHosts: [
          ...(options.allowedHosts ?? []),
          ...(hostSettings.publicUrl !== undefined ? [new URL(hostSettings.publicUrl).hostname.replace(/^\[|\]$/g, '')] : []),
          ...(options.listenHost !== undefined ? [options.listenHost] : []),
        ],
      },
      logger,
      bodyLimitBytes: options.bodyLimitBytes,
      tls: options.tls,
    });
    app.addHook('onListen', async () => {
      listeningUrl = listeningAddress(app, schemeOf(options.tls));
    });
    hosts.registry.start();
    let closing: Promise<void> | undefined;
    const close = async (): Promise<void> => {
      await app.close();
      // Before the trainings: a sweep still scheduling would start children into a closing service.
      await sweeps.close();
      await walkForwards.close();
      await training.close();
      if (queueHosts !== undefined) await hosts.close();
      await backtests.close();
      await operations.close();
      tokens.close();
      releaseHome();
    };
    return { app, training, backtests, sweeps, walkForwards, interrupted, reattached, resumed, hosts, close: () => (closing ??= close()) };
  } catch (error) {
    await operations.close();
    tokens.close();
    releaseHome();
    throw error;
  }
}

/** `http://127.0.0.1:8000`; a wildcard bind is named by the machine's host name, which is what another machine can reach. */
function listeningAddress(app: FastifyInstance, scheme: string): string | undefined {
  const address = app.server.address();
  if (typeof address !== 'object' || address === null) return undefined;
  const wildcard = address.address === '0.0.0.0' || address.address === '::';
  const host = wildcard ? hostname() : address.address.includes(':') ? `[${address.address}]` : address.address;
  return `${scheme}://${host}:${address.port}`;
}

export interface ServerOptions extends BackendOptions {
  /** 0 picks a free port. @defaultValue 8000 */
  readonly port?: number;
  /** @defaultValue 127.0.0.1 */
  readonly host?: string;
}

/** Creates the backend and listens; `url` is the base URL clients use (without `/api/v1`). */
export async function startServer(options: ServerOptions): Promise<{ backend: Backend; url: string }> {
  const port = options.port ?? 8000;
  const host = options.host ?? '127.0.0.1';
  if (!isLoopbackHost(host) && !options.insecure) refuseWithoutAdminToken(options.settings.homeDir, host);
  const backend = await createBackend({ ...options, listenHost: host });
  const actualPort = await listenOrExplain(backend.app, { port, host, hint: 'pick another --port or --host', onFailure: () => backend.close() });
  const shownHost = host.includes(':') ? `[${host}]` : host;
  return { backend, url: `${schemeOf(options.tls)}://${shownHost}:${actualPort}` };
}

/** Checked before anything listens: a server reachable from the network must not start open by accident. */
function refuseWithoutAdminToken(homeDir: string, host: string): void {
  const tokens = new TokenStore(homeDir);
  try {
    if (tokens.anyAdmin()) return;
  } finally {
    tokens.close();
  }
  throw new KtrdrError('AUTH_NOT_CONFIGURED', `refusing to listen on ${host} (beyond loopback) without an admin API token`, {
    details: { host },
    hint: 'create one with `ktrdr tokens create --name NAME --scope admin`, or pass --insecure to serve open (trusted networks only)',
  });
}

/** Cluster mode's connection, loaded only then: BullMQ and ioredis would add about 0.3 s to every start-up. */
async function connectQueueHosts(options: QueueHostsOptions): Promise<QueueHosts> {
  const { QueueHosts } = await import('../execution/queue/queue-hosts.js');
  return QueueHosts.connect(options);
}
