import { join } from 'node:path';
import { hostname } from 'node:os';
import type { FastifyInstance } from 'fastify';
import { KtrdrError } from '../errors.js';
import { listenOrExplain } from '../http/app.js';
import { schemeOf, type TlsFiles } from '../http/tls.js';
import { silentLogger, type Logger } from '../util/logger.js';
import { buildHostApp } from './app.js';
import { WorkerThreadTrainer } from './host-trainer.js';
import { HostRuns, type HostRunsOptions } from './host-runs.js';
import { HostRegistrar } from './registration.js';
import { RunDataProvisioner } from './run-data.js';

export interface HostServiceOptions {
  /** The host's own market data (`{SYMBOL}_{TF}.csv`). */
  readonly dataDir: string;
  /** Downloaded series by hash, and the per-run data directories. */
  readonly cacheDir: string;
  /** Runs at once. */
  readonly concurrency: number;
  /** Shared secret (`KTRDR_HOST_TOKEN`); undefined only when the caller explicitly chose to run without one. */
  readonly token: string | undefined;
  /** Backend base URL for downloads; without it, the base each run's `callback_url` lives under. */
  readonly backendUrl?: string;
  /** Recorded in each manifest's execution record and sent when registering. @defaultValue the OS host name */
  readonly name?: string;
  /** @defaultValue 1 hour */
  readonly retentionMs?: number;
  readonly logger?: Logger;
  /** Tests: the compiled worker and shorter push backoff. */
  readonly workerFile?: URL;
  readonly pushDelaysMs?: readonly number[];
  /** Serve HTTPS (`--tls-cert` / `--tls-key`). @defaultValue plain HTTP */
  readonly tls?: TlsFiles;
}

export interface HostService {
  readonly app: FastifyInstance;
  readonly runs: HostRuns;
  /** Stops the HTTP app, cancels running runs, abandons pending pushes. */
  close(): Promise<void>;
}

/** The host's runs and their data, without a front door: the HTTP app (below) or a queue worker (`queue-host.ts`) serves them. */
export async function createHostRuns(
  options: HostServiceOptions,
  hooks: Pick<HostRunsOptions, 'beforePush'> = {},
): Promise<{ runs: HostRuns; close(): Promise<void> }> {
  const logger = options.logger ?? silentLogger();
  const data = new RunDataProvisioner({ dataDir: options.dataDir, cacheDir: options.cacheDir, token: options.token, logger });
  await data.init();
  const trainer = new WorkerThreadTrainer({
    concurrency: options.concurrency,
    emptyDataDir: data.runsDir,
    hostName: hostNameOf(options),
    workerFile: options.workerFile,
    checkpointDir: join(options.cacheDir, 'checkpoints'),
  });
  const runs = new HostRuns({
    trainer,
    data,
    logger,
    token: options.token,
    backendUrl: options.backendUrl,
    retentionMs: options.retentionMs,
    pushDelaysMs: options.pushDelaysMs,
    ...hooks,
  });
  return {
    runs,
    close: async () => {
      await runs.close();
      await data.close();
    },
  };
}

/** The host's composition root: every real dependency wired once. */
export async function createHostService(options: HostServiceOptions): Promise<HostService> {
  const { runs, close: closeRuns } = await createHostRuns(options);
  const app = buildHostApp({ runs, token: options.token, logger: options.logger, tls: options.tls });
  let closing: Promise<void> | undefined;
  const close = async (): Promise<void> => {
    await app.close();
    await closeRuns();
  };
  return { app, runs, close: () => (closing ??= close()) };
}

export interface HostServerOptions extends HostServiceOptions {
  /** 0 picks a free port. @defaultValue 5002 */
  readonly port?: number;
  /** @defaultValue 127.0.0.1 */
  readonly bind?: string;
  /** Register with `backendUrl` and heartbeat every 5 s. Needs `backendUrl`. */
  readonly register?: boolean;
  /** The URL sent when registering. @defaultValue `http(s)://<bind>:<port>` (the OS host name when bound to all interfaces) */
  readonly advertiseUrl?: string;
}

export interface RunningHost {
  readonly host: HostService;
  /** Where this host listens. */
  readonly url: string;
  /** Stops registering, then closes the host. */
  close(): Promise<void>;
}

/** Creates the host, listens, and (if asked) starts registering with the backend. */
export async function startHost(options: HostServerOptions): Promise<RunningHost> {
  if (options.register && options.backendUrl === undefined) {
    throw new KtrdrError('VALIDATION_FAILED', '--register needs --backend <url>', {
      hint: 'give the backend URL, e.g. --backend http://backend:8000',
    });
  }
  const host = await createHostService(options);
  const port = options.port ?? 5002;
  const bind = options.bind ?? '127.0.0.1';
  const actualPort = await listenOrExplain(host.app, { port, host: bind, hint: 'pick another --port or --bind', onFailure: () => host.close() });
  const scheme = schemeOf(options.tls);
  const url = `${scheme}://${urlHost(bind)}:${actualPort}`;
  let registrar: HostRegistrar | undefined;
  if (options.register && options.backendUrl !== undefined) {
    const advertised = options.advertiseUrl ?? (isWildcard(bind) ? `${scheme}://${hostname()}:${actualPort}` : url);
    registrar = new HostRegistrar({
      backendUrl: options.backendUrl,
      registration: { url: advertised, name: hostNameOf(options) },
      token: options.token,
      logger: options.logger ?? silentLogger(),
    });
    registrar.start();
  }
  return {
    host,
    url,
    close: async () => {
      await registrar?.stop();
      await host.close();
    },
  };
}

/** The registration schema allows 100 characters. */
export function hostNameOf(options: HostServiceOptions): string {
  return options.name ?? hostname().slice(0, 100);
}

function isWildcard(bind: string): boolean {
  return bind === '0.0.0.0' || bind === '::' || bind === '[::]';
}

function urlHost(bind: string): string {
  return bind.includes(':') && !bind.startsWith('[') ? `[${bind}]` : bind;
}
