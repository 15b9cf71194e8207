import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../../src/errors.js';
import { createHttpApp } from '../../src/http/app.js';
import { spxStrategy } from '../helpers/strategies.js';
import { startTestBackend, type TestBackend } from '../helpers/test-backend.js';
import { startTestHost, TOKEN, type TestHost } from '../helpers/host-harness.js';

interface RawResponse {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: unknown;
}

interface RawConnection {
  write(text: string): Promise<void>;
  /** Every response, parsed once the server has closed the connection. */
  readonly responses: Promise<RawResponse[]>;
}

/**
 * A plain TCP connection: the errors here are raised below Fastify's routing (some by Node's HTTP parser), where a
 * client library would smooth over what the server really sent.
 */
function openRaw(url: string): RawConnection {
  const { hostname, port } = new URL(url);
  const socket = connect(Number(port), hostname);
  const chunks: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  const responses = new Promise<RawResponse[]>((resolve, reject) => {
    // The server may close while a refused request is still being written: what it answered is what counts.
    socket.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EPIPE' && error.code !== 'ECONNRESET') reject(error);
    });
    socket.on('close', () => {
      try {
        resolve(parseResponses(Buffer.concat(chunks)));
      } catch (error) {
        reject(error instanceof Error ? error : new Error(String(error)));
      }
    });
  });
  return { write: (text) => new Promise((resolve) => socket.write(text, () => resolve())), responses };
}

function raw(url: string, text: string): Promise<RawResponse[]> {
  const connection = openRaw(url);
  void connection.write(text);
  return connection.responses;
}

function parseResponses(bytes: Buffer): RawResponse[] {
  const responses: RawResponse[] = [];
  let at = 0;
  while (at < bytes.length) {
    const headEnd = bytes.indexOf('\r\n\r\n', at);
    if (headEnd < 0) throw new Error(`incomplete response: ${bytes.subarray(at).toString()}`);
    const [statusLine, ...lines] = bytes.subarray(at, headEnd).toString().split('\r\n');
    const headers = Object.fromEntries(
      lines.map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]),
    );
    const length = Number(headers['content-length']);
    const body = bytes.subarray(headEnd + 4, headEnd + 4 + length).toString();
    responses.push({ status: Number(statusLine.split(' ')[1]), headers, body: JSON.parse(body) as unknown });
    at = headEnd + 4 + length;
  }
  return responses;
}

/** The one body shape, with a registered code whose status is the one answered. */
function expectErrorBody(response: RawResponse, code: keyof typeof ERROR_CODES): void {
  expect(response.status).toBe(ERROR_CODES[code].status);
  expect(response.headers['content-type']).toMatch(/^application\/json/);
  expect(response.body).toEqual({ error: expect.objectContaining({ code, message: expect.any(String) }) });
  const error = (response.body as { error: Record<string, unknown> }).error;
  expect(Object.keys(error).every((key) => ['code', 'message', 'details', 'hint'].includes(key))).toBe(true);
}

const HUGE_HEADER = `x-padding: ${'a'.repeat(20 * 1024)}\r\n`;

/** Everything both apps must answer with the one body, whatever layer refuses it. */
function belowRouting(prefix: string, startPath: string, auth: string): { name: string; request: string; code: keyof typeof ERROR_CODES }[] {
  const post = (path: string, type: string, body: string) =>
    `POST ${prefix}${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n${auth}Content-Type: ${type}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`;
  return [
    {
      name: 'headers over 16 KiB (431)',
      request: `GET ${prefix}/health HTTP/1.1\r\nHost: 127.0.0.1\r\n${HUGE_HEADER}\r\n`,
      code: 'HEADERS_TOO_LARGE',
    },
    { name: 'not HTTP at all (400)', request: 'HELLO THERE\r\n\r\n', code: 'VALIDATION_FAILED' },
    // The declared length alone is over both apps' limits; the body is refused before it is read.
    {
      name: 'body over the limit (413)',
      request: `POST ${prefix}${startPath} HTTP/1.1\r\nHost: 127.0.0.1\r\n${auth}Content-Type: application/json\r\nContent-Length: ${64 * 1024 * 1024}\r\nConnection: close\r\n\r\n{"pad":"`,
      code: 'PAYLOAD_TOO_LARGE',
    },
    { name: 'not JSON (415)', request: post(startPath, 'text/plain', 'hello'), code: 'UNSUPPORTED_MEDIA_TYPE' },
    { name: 'malformed JSON (400)', request: post(startPath, 'application/json', '{"strategy_name":'), code: 'VALIDATION_FAILED' },
    {
      name: 'unknown route (404)',
      request: `GET ${prefix}/no/such/route HTTP/1.1\r\nHost: 127.0.0.1\r\n${auth}Connection: close\r\n\r\n`,
      code: 'NOT_FOUND',
    },
    {
      name: 'bad percent-encoding (400)',
      request: `GET ${prefix}${startPath}/%ZZ HTTP/1.1\r\nHost: 127.0.0.1\r\n${auth}Connection: close\r\n\r\n`,
      code: 'VALIDATION_FAILED',
    },
  ];
}

describe('HTTP error bodies below routing', () => {
  let backend: TestBackend;
  let host: TestHost;

  beforeAll(async () => {
    [backend, host] = await Promise.all([startTestBackend({ tiny: spxStrategy('tiny') }), startTestHost()]);
  });
  afterAll(async () => Promise.all([backend?.close(), host?.close()]));

  for (const app of ['backend', 'host'] as const) {
    it(`should answer every refusal of the ${app} app with the one error body`, async () => {
      const cases =
        app === 'backend'
          ? belowRouting('/api/v1', '/trainings/start', '')
          : belowRouting('', '/training/start', `Authorization: Bearer ${TOKEN}\r\n`);
      const url = app === 'backend' ? backend.url : host.url;
      for (const c of cases) {
        const responses = await raw(url, c.request);
        expect(responses, c.name).toHaveLength(1);
        expectErrorBody(responses[0], c.code);
      }
      // Still serving after all of it.
      expect((await fetch(`${url}${app === 'backend' ? '/api/v1' : ''}/health`)).status).toBe(200);
    });
  }

  it('should answer a request that arrives while the server closes with SHUTTING_DOWN in the same shape', async () => {
    const app = createHttpApp({ bodyLimitBytes: 1024, notFoundHint: 'none' });
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let arrived!: () => void;
    const slowArrived = new Promise<void>((resolve) => (arrived = resolve));
    app.get('/slow', async () => {
      arrived();
      await released;
      return { ok: true };
    });
    app.get('/after', async () => ({ ok: true }));
    await app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = app.server.address() as { port: number };
    const connection = openRaw(`http://127.0.0.1:${port}`);
    await connection.write('GET /slow HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    await slowArrived;
    // The connection is busy, so closing keeps it; the next request on it arrives after close() began (preClose).
    const closed = app.close();
    await new Promise((resolve) => setTimeout(resolve, 20));
    await connection.write('GET /after HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    await new Promise((resolve) => setTimeout(resolve, 20));
    release();
    const [slow, after] = await connection.responses;
    await closed;
    expect(slow.status).toBe(200);
    expectErrorBody(after, 'SHUTTING_DOWN');
  });
});
