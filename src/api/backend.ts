import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Settings } from '../config/settings.js';
import { KtrdrError } from '../errors.js';
import { MarketDataRepository } from '../data/repository.js';
import { LocalExecutor } from '../execution/local/local-executor.js';
import { TrainingService } from '../execution/training-service.js';
import { FileModelStore } from '../models/model-store.js';
import type { Operation } from '../operations/operation.js';
import { SqliteOperationStore } from '../operations/sqlite/sqlite-operation-store.js';
import { silentLogger, type Logger } from '../util/logger.js';
import { buildApp } from './app.js';
import { acquireHomeLock } from './home-lock.js';
import { HealthReporter } from './services/health.js';
import { ModelCatalog } from './services/model-catalog.js';
import { OperationQueries } from './services/operation-queries.js';
import { StrategyCatalog } from './services/strategy-catalog.js';

export interface BackendOptions {
  readonly settings: Settings;
  /** Local training slots. @defaultValue `KTRDR_LOCAL_CONCURRENCY`, else cores - 1 */
  readonly concurrency?: number;
  readonly logger?: Logger;
  readonly bodyLimitBytes?: number;
}

export interface Backend {
  readonly app: FastifyInstance;
  readonly training: TrainingService;
  /** Operations a previous process left unfinished, failed as INTERRUPTED at start-up. */
  readonly interrupted: readonly Operation[];
  /** Stops the HTTP app, cancels this process's runs (recorded as cancelled), then closes the database. */
  close(): Promise<void>;
}

/** The composition root: every real dependency wired once, from settings. `KTRDR_HOME/ktrdr.db` holds the operations. */
export async function createBackend(options: BackendOptions): Promise<Backend> {
  const { settings } = options;
  const logger = options.logger ?? silentLogger();
  const releaseHome = acquireHomeLock(settings.homeDir);
  let operations: SqliteOperationStore;
  try {
    operations = new SqliteOperationStore(join(settings.homeDir, 'ktrdr.db'));
  } catch (error) {
    releaseHome();
    throw error;
  }
  try {
    const models = new FileModelStore(settings.modelsDir);
    const data = new MarketDataRepository(settings.dataDir);
    const executor = new LocalExecutor({ dataDir: settings.dataDir, concurrency: options.concurrency });
    const training = new TrainingService({ operations, models, executor, strategiesDir: settings.strategiesDir, dataDir: settings.dataDir, logger });
    const interrupted = await training.failInterrupted();
    const app = buildApp({
      training,
      operations: new OperationQueries(operations),
      strategies: new StrategyCatalog({ strategiesDir: settings.strategiesDir, operations, models }),
      models: new ModelCatalog(models, data),
      health: new HealthReporter(operations, executor),
      logger,
      bodyLimitBytes: options.bodyLimitBytes,
    });
    let closing: Promise<void> | undefined;
    const close = async (): Promise<void> => {
      await app.close();
      await training.close();
      await operations.close();
      releaseHome();
    };
    return { app, training, interrupted, close: () => (closing ??= close()) };
  } catch (error) {
    await operations.close();
    releaseHome();
    throw error;
  }
}

export interface ServerOptions extends BackendOptions {
  /** 0 picks a free port. @defaultValue 8000 */
  readonly port?: number;
  /** @defaultValue 127.0.0.1 */
  readonly host?: string;
}

/** Creates the backend and listens; `url` is the base URL clients use (without `/api/v1`). */
export async function startServer(options: ServerOptions): Promise<{ backend: Backend; url: string }> {
  const backend = await createBackend(options);
  const port = options.port ?? 8000;
  const host = options.host ?? '127.0.0.1';
  try {
    await backend.app.listen({ port, host });
  } catch (error) {
    await backend.close();
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE' || code === 'EACCES' || code === 'EADDRNOTAVAIL') {
      throw new KtrdrError('CONFLICT', `cannot listen on ${host}:${port} (${code})`, { hint: 'pick another --port or --host', cause: error });
    }
    throw error;
  }
  const address = backend.app.server.address();
  const actualPort = typeof address === 'object' && address !== null ? address.port : port;
  const shownHost = host.includes(':') ? `[${host}]` : host;
  return { backend, url: `http://${shownHost}:${actualPort}` };
}
