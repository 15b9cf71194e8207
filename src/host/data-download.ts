import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { Readable, Transform } from 'node:stream';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { backendDataPath, type DataRequirement } from '../contracts/host-protocol.js';
import { KtrdrError } from '../errors.js';

export interface DownloadOptions {
  /** Backend base URL, without `/api/v1`. */
  readonly backendUrl: string;
  readonly token?: string;
  /** Decompressed bytes written here (a temp file the caller renames once the hash is right). */
  readonly file: string;
  readonly signal: AbortSignal;
  /** Refuse series larger than this once decompressed, in bytes, so a bad answer cannot fill the disk. */
  readonly maxBytes: number;
}

const GZIP_MAGIC = [0x1f, 0x8b] as const;

/**
 * Streams one series from the backend to `file` and returns the sha256 of the decompressed bytes. The body may be
 * gzip as a transfer encoding (fetch removes it) or as the content itself (`application/gzip`): a CSV never starts
 * with the gzip magic bytes, so looking at them decides, whatever the headers say.
 */
export async function downloadSeries(requirement: DataRequirement, options: DownloadOptions): Promise<string> {
  const { symbol, timeframe } = requirement;
  const url = new URL(backendDataPath(symbol, timeframe).slice(1), withTrailingSlash(options.backendUrl)).href;
  const what = `${symbol} ${timeframe}`;
  let response: Response;
  try {
    response = await fetch(url, {
      headers: {
        accept: 'text/csv, application/gzip',
        'accept-encoding': 'gzip',
        ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
      },
      signal: options.signal,
    });
  } catch (error) {
    if (options.signal.aborted) throw error;
    throw new KtrdrError('DATA_NOT_FOUND', `downloading ${what} from ${url} failed: ${describe(error)}`, {
      details: { ...requirement, url },
      hint: 'check that the backend is reachable from this host (--backend, or the base URL of callback_url)',
      cause: error,
    });
  }
  if (!response.ok || response.body === null) {
    await response.body?.cancel().catch(() => undefined);
    throw new KtrdrError('DATA_NOT_FOUND', `downloading ${what} from ${url} failed: HTTP ${response.status}`, {
      details: { ...requirement, url, status: response.status },
      hint: response.status === 401 ? 'the host and the backend must share the same KTRDR_HOST_TOKEN' : undefined,
    });
  }

  const hash = createHash('sha256');
  let bytes = 0;
  const measure = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      bytes += chunk.length;
      if (bytes > options.maxBytes) {
        done(
          new KtrdrError('DATA_INVALID', `${what} from the backend is larger than ${options.maxBytes} bytes`, { details: { ...requirement, url } }),
        );
        return;
      }
      hash.update(chunk);
      done(null, chunk);
    },
  });
  try {
    const chunks = Readable.fromWeb(response.body as NodeReadableStream<Uint8Array>)[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
    const first = await chunks.next();
    const head: Buffer | undefined = first.done ? undefined : Buffer.from(first.value);
    const source = Readable.from(replay(head, chunks));
    const gzipped = head !== undefined && head[0] === GZIP_MAGIC[0] && head[1] === GZIP_MAGIC[1];
    if (gzipped) await pipeline(source, createGunzip(), measure, createWriteStream(options.file), { signal: options.signal });
    else await pipeline(source, measure, createWriteStream(options.file), { signal: options.signal });
  } catch (error) {
    await rm(options.file, { force: true });
    if (options.signal.aborted || error instanceof KtrdrError) throw error;
    throw new KtrdrError('DATA_NOT_FOUND', `downloading ${what} from ${url} failed while reading the body: ${describe(error)}`, {
      details: { ...requirement, url },
      cause: error,
    });
  }
  return hash.digest('hex');
}

async function* replay(head: Buffer | undefined, rest: AsyncIterator<Buffer>): AsyncGenerator<Buffer> {
  if (head === undefined) return;
  yield head;
  for (;;) {
    const next = await rest.next();
    if (next.done) return;
    yield next.value;
  }
}

function withTrailingSlash(url: string): string {
  return url.endsWith('/') ? url : `${url}/`;
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  // fetch hides the reason (ECONNREFUSED, ENOTFOUND) in `cause`.
  const cause = (error as Error & { cause?: unknown }).cause;
  return cause instanceof Error ? `${error.message} (${cause.message})` : error.message;
}
