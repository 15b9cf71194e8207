import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { gunzip, gzip } from 'node:zlib';
import Fastify, { type FastifyInstance } from 'fastify';

const gzipAsync = promisify(gzip);
const gunzipAsync = promisify(gunzip);

export interface BackendStubOptions {
  /** `{SYMBOL}_{TF}` → file served by `GET /api/v1/data/:symbol/:timeframe`. */
  readonly files?: Record<string, string>;
  /** How the data is gzip-wrapped: as a transfer encoding or as the content itself. @defaultValue 'encoding' */
  readonly gzipAs?: 'encoding' | 'content';
  /** Data answers wait this long first, in ms (a slow link). @defaultValue 0 */
  readonly dataDelayMs?: number;
  /** Result pushes answered 503 before one is accepted. Infinity = never accepted. @defaultValue 0 */
  readonly failPushes?: number;
}

/** A checkpoint as a host pushes it and fetches it back. */
export interface StubCheckpoint {
  readonly epoch: number;
  readonly bytes: Buffer;
}

export interface ReceivedPush {
  readonly id: string;
  readonly authorization: string | undefined;
  readonly contentEncoding: string | undefined;
  readonly json: string;
}

/**
 * The backend endpoints a host calls, as a tiny real server: data downloads (gzip), result pushes (which fail a
 * given number of times first), checkpoint pushes and fetches. It records what it was asked.
 */
export class BackendStub {
  readonly app: FastifyInstance;
  readonly downloads: { path: string; authorization: string | undefined }[] = [];
  readonly pushAttempts: string[] = [];
  readonly pushes: ReceivedPush[] = [];
  readonly registrations: unknown[] = [];
  /** Checkpoints pushed, by operation id, oldest first. */
  readonly pushedCheckpoints = new Map<string, StubCheckpoint[]>();
  /** What `GET /api/v1/operations/:id/checkpoint` answers, by operation id; 409 NO_CHECKPOINT for the others. */
  readonly servedCheckpoints = new Map<string, StubCheckpoint>();
  readonly checkpointFetches: { id: string; authorization: string | undefined }[] = [];
  url = '';

  constructor(private readonly options: BackendStubOptions = {}) {
    // A test may close it while a (deliberately slow) download is in flight.
    this.app = Fastify({ forceCloseConnections: true });
    // The host sends the artifact gzip-compressed with Content-Encoding: gzip; keep the raw bytes.
    this.app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
    this.app.get<{ Params: { symbol: string; timeframe: string } }>('/api/v1/data/:symbol/:timeframe', async (request, reply) => {
      this.downloads.push({ path: request.url, authorization: request.headers.authorization });
      if (this.options.dataDelayMs) await new Promise((resolve) => setTimeout(resolve, this.options.dataDelayMs));
      const file = this.options.files?.[`${request.params.symbol}_${request.params.timeframe}`];
      if (file === undefined) return reply.code(404).send({ error: { code: 'DATA_NOT_FOUND', message: 'no such series' } });
      const body = await gzipAsync(await readFile(file));
      if ((this.options.gzipAs ?? 'encoding') === 'encoding') return reply.header('content-encoding', 'gzip').type('text/csv').send(body);
      return reply.type('application/gzip').send(body);
    });
    this.app.post<{ Params: { id: string } }>('/api/v1/trainings/:id/result', async (request, reply) => {
      this.pushAttempts.push(request.params.id);
      if (this.pushAttempts.length <= (this.options.failPushes ?? 0))
        return reply.code(503).send({ error: { code: 'INTERNAL', message: 'not yet' } });
      const raw = request.body as Buffer;
      const json = (request.headers['content-encoding'] === 'gzip' ? await gunzipAsync(raw) : raw).toString('utf8');
      this.pushes.push({
        id: request.params.id,
        authorization: request.headers.authorization,
        contentEncoding: request.headers['content-encoding'],
        json,
      });
      return reply.code(200).send({ ok: true });
    });
    this.app.put<{ Params: { id: string } }>('/api/v1/operations/:id/checkpoint', async (request) => {
      const body = JSON.parse((await gunzipAsync(request.body as Buffer)).toString('utf8')) as { epoch: number; checkpoint: string };
      const list = this.pushedCheckpoints.get(request.params.id) ?? [];
      list.push({ epoch: body.epoch, bytes: Buffer.from(body.checkpoint, 'base64') });
      this.pushedCheckpoints.set(request.params.id, list);
      return { operation_id: request.params.id, epoch: body.epoch, bytes: 0 };
    });
    this.app.get<{ Params: { id: string } }>('/api/v1/operations/:id/checkpoint', async (request, reply) => {
      const { id } = request.params;
      this.checkpointFetches.push({ id, authorization: request.headers.authorization });
      const served = this.servedCheckpoints.get(id);
      if (served === undefined) return reply.code(409).send({ error: { code: 'NO_CHECKPOINT', message: `operation ${id} has no checkpoint` } });
      return { operation_id: id, epoch: served.epoch, checkpoint: served.bytes.toString('base64') };
    });
    this.app.post('/api/v1/hosts/register', async (request) => {
      this.registrations.push(JSON.parse((request.body as Buffer).toString('utf8')));
      return { ok: true };
    });
  }

  async start(): Promise<this> {
    await this.app.listen({ port: 0, host: '127.0.0.1' });
    const address = this.app.server.address();
    this.url = `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}`;
    return this;
  }

  callbackUrl(id: string): string {
    return `${this.url}/api/v1/trainings/${id}/result`;
  }

  close(): Promise<void> {
    return this.app.close();
  }
}
