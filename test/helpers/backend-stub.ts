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

export interface ReceivedPush {
  readonly id: string;
  readonly authorization: string | undefined;
  readonly contentEncoding: string | undefined;
  readonly json: string;
}

/**
 * The two backend endpoints a host calls, as a tiny real server: data downloads (gzip) and result pushes (which
 * fail a given number of times first). It records what it was asked.
 */
export class BackendStub {
  readonly app: FastifyInstance;
  readonly downloads: { path: string; authorization: string | undefined }[] = [];
  readonly pushAttempts: string[] = [];
  readonly pushes: ReceivedPush[] = [];
  readonly registrations: unknown[] = [];
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
