import { createHash } from 'node:crypto';
import { copyFile, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import type { FastifyInstance } from 'fastify';
import type { HostRunStatusBody, HostStartRequest } from '../../src/contracts/host-protocol.js';
import { buildHostApp } from '../../src/host/app.js';
import { WorkerThreadTrainer } from '../../src/host/host-trainer.js';
import { HostRuns, type HostRunsOptions } from '../../src/host/host-runs.js';
import { RunDataProvisioner } from '../../src/host/run-data.js';
import { artifactFromJson, type ModelArtifact } from '../../src/training/artifact.js';
import { applyOverrides } from '../../src/training/overrides.js';
import { silentLogger } from '../../src/util/logger.js';
import { DATA_DIR, spxStrategy, waitFor } from './strategies.js';

export const TOKEN = 'test-host-token-0123456789';
export const SPX_CSV = join(DATA_DIR, 'SPX_1d.csv');
const gunzipAsync = promisify(gunzip);

export async function sha256File(file: string): Promise<string> {
  return createHash('sha256')
    .update(await readFile(file))
    .digest('hex');
}

export interface TestHostOptions {
  readonly concurrency?: number;
  /** Undefined = insecure host. @defaultValue TOKEN */
  readonly token?: string | null;
  /** Copy the bundled SPX_1d.csv into the host's data directory. @defaultValue true */
  readonly withSpxData?: boolean;
  readonly runs?: Partial<Omit<HostRunsOptions, 'trainer' | 'data' | 'logger' | 'token'>>;
  /** Keep the runs' checkpoints in `{cacheDir}/checkpoints` (and resume from them), as `ktrdr host` does. @defaultValue false */
  readonly checkpoints?: boolean;
}

export interface TestHost {
  readonly url: string;
  readonly app: FastifyInstance;
  readonly runs: HostRuns;
  readonly dataDir: string;
  readonly cacheDir: string;
  /** Where this process's per-run data directories are made. */
  readonly runsDir: string;
  readonly client: HostClient;
  close(): Promise<void>;
}

/** A real host (real worker threads, real files in a temp dir) listening on a free loopback port. */
export async function startTestHost(options: TestHostOptions = {}): Promise<TestHost> {
  const root = await mkdtemp(join(tmpdir(), 'ktrdr-host-'));
  const dataDir = join(root, 'data');
  const cacheDir = join(root, 'cache');
  await mkdir(dataDir, { recursive: true });
  if (options.withSpxData !== false) await copyFile(SPX_CSV, join(dataDir, 'SPX_1d.csv'));
  const token = options.token === undefined ? TOKEN : (options.token ?? undefined);
  const logger = silentLogger();
  const data = new RunDataProvisioner({ dataDir, cacheDir, token, logger });
  await data.init();
  const trainer = new WorkerThreadTrainer({
    concurrency: options.concurrency ?? 2,
    emptyDataDir: data.runsDir,
    hostName: 'test-host',
    ...(options.checkpoints === true && { checkpointDir: join(cacheDir, 'checkpoints') }),
  });
  const runs = new HostRuns({ trainer, data, logger, token, pushDelaysMs: [20, 40, 80, 160], ...options.runs });
  const app = buildHostApp({ runs, token, logger });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  const url = `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}`;
  return {
    url,
    app,
    runs,
    dataDir,
    cacheDir,
    runsDir: data.runsDir,
    client: new HostClient(url, token),
    close: async () => {
      await app.close();
      await runs.close();
      await data.close();
      await rm(root, { recursive: true, force: true });
    },
  };
}

export class HostClient {
  constructor(
    readonly url: string,
    readonly token: string | undefined,
  ) {}

  request(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Response> {
    return fetch(`${this.url}${path}`, {
      method,
      headers: {
        ...(this.token ? { authorization: `Bearer ${this.token}` } : {}),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...headers,
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  }

  async json<T = Record<string, unknown>>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
    const response = await this.request(method, path, body);
    const text = await response.text();
    return { status: response.status, body: (text ? JSON.parse(text) : undefined) as T };
  }

  start(request: HostStartRequest) {
    return this.json<{ operation_id: string; status: string }>('POST', '/training/start', request);
  }

  async status(id: string, after = 0): Promise<HostRunStatusBody> {
    const { status, body } = await this.json<HostRunStatusBody>('GET', `/training/${id}?after=${after}`);
    if (status !== 200) throw new Error(`GET /training/${id} answered ${status}: ${JSON.stringify(body)}`);
    return body;
  }

  /** Polls with the cursor until the run ends; returns the final status and every event seen, in order. */
  async waitUntilFinished(id: string, timeoutMs = 20_000): Promise<{ final: HostRunStatusBody; events: HostRunStatusBody['events'] }> {
    const events: HostRunStatusBody['events'] = [];
    let cursor = 0;
    const final = await waitFor(
      async () => {
        const body = await this.status(id, cursor);
        events.push(...body.events);
        cursor = body.next_cursor;
        return ['completed', 'failed', 'cancelled'].includes(body.status) && body.events.length === 0 ? body : undefined;
      },
      `run ${id} to finish`,
      timeoutMs,
    );
    return { final, events };
  }

  async result(id: string): Promise<ModelArtifact> {
    const response = await this.request('GET', `/training/${id}/result`, undefined, { 'accept-encoding': 'identity' });
    if (response.status !== 200) throw new Error(`result of ${id}: HTTP ${response.status} ${await response.text()}`);
    return artifactFromJson(await decodeBody(response));
  }
}

/** The body as text, gunzipped when fetch has not already done so (it does when it saw Content-Encoding). */
export async function decodeBody(response: Response): Promise<string> {
  const bytes = Buffer.from(await response.arrayBuffer());
  return (bytes[0] === 0x1f && bytes[1] === 0x8b ? await gunzipAsync(bytes) : bytes).toString('utf8');
}

export async function spxStartRequest(
  id: string,
  extra: Partial<HostStartRequest> = {},
  strategy = spxStrategy(`host_${id.replace(/-/g, '_')}`),
): Promise<HostStartRequest> {
  return {
    operation_id: id,
    // As the backend sends it: the request's seed already applied to the text.
    strategy_yaml: applyOverrides(strategy, { seed: 11 }),
    request: { strategy_source: `${id}.yaml` },
    data: [{ symbol: 'SPX', timeframe: '1d', sha256: await sha256File(SPX_CSV) }],
    ...extra,
  };
}
