import { createBackend, type Backend, type BackendOptions } from '../../src/api/backend.js';
import { ErrorBodySchema } from '../../src/contracts/common.js';
import { OperationSchema, type OperationResponse } from '../../src/contracts/operations.js';
import type { HostSettings } from '../../src/execution/hosts/host-settings.js';
import { createRecordingLogger, type Logger, type LogLevel, type LogRecord } from '../../src/util/logger.js';
import { DATA_DIR, tempDirs, waitFor, type TempDirs } from './strategies.js';

export interface HttpResult {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  /** Parsed JSON body (undefined when the body is not JSON). */
  readonly body: unknown;
  readonly ms: number;
}

export interface TestBackend {
  readonly url: string;
  readonly backend: Backend;
  readonly dirs: TempDirs;
  http(method: string, path: string, options?: { json?: unknown; body?: string; headers?: Record<string, string> }): Promise<HttpResult>;
  operation(id: string): Promise<OperationResponse>;
  /** Polls until the operation's status is one of `statuses`. */
  waitForStatus(id: string, statuses: readonly string[], timeoutMs?: number): Promise<OperationResponse>;
  close(): Promise<void>;
}

/**
 * The real backend (SQLite, model store, worker-thread executor, Fastify) on a free loopback port, in a temp
 * KTRDR_HOME with its own models and strategies directories, reading the repository's `data/`.
 */
export interface TestBackendOptions {
  readonly concurrency?: number;
  /** Training hosts, token, default mode; nothing is read from the environment. @defaultValue no hosts, no token */
  readonly hosts?: Partial<HostSettings>;
  readonly insecureHosts?: boolean;
  /** Reuse a temp directory set (a restarted backend). */
  readonly dirs?: TempDirs;
  /** @defaultValue silent */
  readonly logger?: Logger;
  /** The interface the backend believes it listens on (it always listens on 127.0.0.1): beyond loopback = network mode. */
  readonly listenHost?: string;
  readonly failedLogins?: BackendOptions['failedLogins'];
  /** Resume interrupted and host-lost runs from their checkpoints. @defaultValue `KTRDR_AUTO_RESUME`, else on */
  readonly autoResume?: boolean;
  /** The loopback port to listen on (a restarted backend that hosts push to at the same URL). @defaultValue a free one */
  readonly port?: number;
}

/** A server log kept in memory, for tests that check what the backend said. */
export function memoryLogger(level: LogLevel = 'info'): { logger: Logger; records: LogRecord[]; messages: () => string[] } {
  const records: LogRecord[] = [];
  return { logger: createRecordingLogger((record) => records.push(record), level), records, messages: () => records.map((r) => r.msg) };
}

export async function startTestBackend(strategies: Record<string, string>, options: TestBackendOptions = {}): Promise<TestBackend> {
  const dirs = options.dirs ?? (await tempDirs(strategies));
  const backend = await createBackend({
    settings: { dataDir: DATA_DIR, strategiesDir: dirs.strategies, homeDir: dirs.home, modelsDir: dirs.models },
    concurrency: options.concurrency ?? 2,
    hosts: { hosts: [], token: undefined, publicUrl: undefined, defaultMode: 'auto', run: {}, ...options.hosts },
    insecureHosts: options.insecureHosts,
    logger: options.logger,
    listenHost: options.listenHost,
    failedLogins: options.failedLogins,
    ...(options.autoResume !== undefined && { autoResume: options.autoResume }),
  });
  await backend.app.listen({ port: options.port ?? 0, host: '127.0.0.1' });
  const address = backend.app.server.address();
  const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;

  const http: TestBackend['http'] = async (method, path, options = {}) => {
    const headers: Record<string, string> = { ...options.headers };
    let body = options.body;
    if (options.json !== undefined) {
      body = JSON.stringify(options.json);
      headers['content-type'] ??= 'application/json';
    }
    const started = performance.now();
    const response = await fetch(`${url}${path}`, { method, headers, body });
    const text = await response.text();
    const ms = performance.now() - started;
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    return { status: response.status, headers: response.headers, text, body: parsed, ms };
  };
  const operation = async (id: string) => OperationSchema.parse((await http('GET', `/api/v1/operations/${id}`)).body);
  return {
    url,
    backend,
    dirs,
    http,
    operation,
    waitForStatus: (id, statuses, timeoutMs = 40_000) =>
      waitFor(
        async () => {
          const op = await operation(id);
          return statuses.includes(op.status) ? op : undefined;
        },
        `${id} to become ${statuses.join('|')}`,
        timeoutMs,
      ),
    async close() {
      await backend.close();
      await dirs.remove();
    },
  };
}

/** Asserts the one error body shape and returns its code. */
export function errorCode(result: HttpResult): string {
  return ErrorBodySchema.parse(result.body).error.code;
}

export async function startTraining(server: TestBackend, body: Record<string, unknown>, headers: Record<string, string> = {}): Promise<string> {
  const result = await server.http('POST', '/api/v1/trainings/start', { json: body, headers });
  if (result.status !== 202) throw new Error(`start failed: ${result.status} ${result.text}`);
  return (result.body as { operation_id: string }).operation_id;
}
