import { randomUUID } from 'node:crypto';
import Fastify, { LogController, type FastifyInstance } from 'fastify';
import { KtrdrError } from '../errors.js';
import { silentLogger, type Logger } from '../util/logger.js';
import { answerClientError, installErrorHandling, sendError } from './errors.js';
import type { TlsFiles } from './tls.js';

export interface HttpAppOptions {
  /** Unexpected errors, with their request ids. @defaultValue silent */
  readonly logger?: Logger;
  readonly bodyLimitBytes: number;
  /** Where the routes are, for the hint of a NOT_FOUND answer. */
  readonly notFoundHint: string;
  /** Serve HTTPS with this certificate and key. @defaultValue plain HTTP */
  readonly tls?: TlsFiles;
}

/**
 * A Fastify app as both HTTP apps (backend and training host) need it, before any route: one error body everywhere,
 * JSON bodies only, a UUID per request.
 */
export function createHttpApp(options: HttpAppOptions): FastifyInstance {
  const app = Fastify({
    ...(options.tls !== undefined ? { https: { cert: options.tls.cert, key: options.tls.key } } : {}),
    loggerInstance: options.logger ?? silentLogger(),
    // One line per request would drown the log (and the benchmark); errors are still logged with their request id.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: options.bodyLimitBytes,
    genReqId: () => randomUUID(),
    // Errors Fastify raises before routing (bad URL encoding, over-long path segments) get the same body as ours,
    // and so do those of Node's HTTP parser below it (headers too large, not HTTP at all).
    frameworkErrors: (error, request, reply) => sendError(error, request, reply),
    clientErrorHandler: answerClientError,
    // Fastify's own 503 for requests that arrive while closing has another body shape; `refuseWhileClosing` answers.
    return503OnClosing: false,
  }) as unknown as FastifyInstance;
  refuseWhileClosing(app);
  // JSON is the only body format; anything else is a 415, not a string handed to a JSON schema.
  app.removeContentTypeParser('text/plain');
  installErrorHandling(app, options.notFoundHint);
  return app;
}

/**
 * Once `close()` has begun, a request that still arrives (on a kept-alive connection) is refused with SHUTTING_DOWN
 * instead of starting work that the closing process would cut off.
 */
function refuseWhileClosing(app: FastifyInstance): void {
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.addHook('onRequest', async (_request, reply) => {
    if (!closing) return;
    void reply.header('connection', 'close');
    throw new KtrdrError('SHUTTING_DOWN', 'the server is shutting down and accepts no new requests', {
      hint: 'send it again once the server is back',
    });
  });
}

export interface ListenOptions {
  /** 0 picks a free port. */
  readonly port: number;
  readonly host: string;
  /** What to change when the address cannot be used, e.g. `pick another --port or --host`. */
  readonly hint: string;
  /** Releases what the app was built with; called before the error is thrown. */
  readonly onFailure: () => Promise<void>;
}

/**
 * Listens and returns the port listened on (the one picked when asked for 0). A port that is taken (PORT_IN_USE) or
 * an address that is not allowed or not this machine's (ADDRESS_UNAVAILABLE) is an error with `hint`, not a raw
 * socket error: the two need different fixes (stop the other process vs. fix --host).
 */
export async function listenOrExplain(app: FastifyInstance, options: ListenOptions): Promise<number> {
  const { port, host } = options;
  try {
    await app.listen({ port, host });
  } catch (error) {
    await options.onFailure();
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') {
      throw new KtrdrError('PORT_IN_USE', `cannot listen on ${host}:${port}: another process uses it`, {
        details: { host, port },
        hint: options.hint,
        cause: error,
      });
    }
    if (code === 'EACCES' || code === 'EADDRNOTAVAIL') {
      throw new KtrdrError('ADDRESS_UNAVAILABLE', `cannot listen on ${host}:${port} (${code})`, {
        details: { host, port },
        hint: options.hint,
        cause: error,
      });
    }
    throw error;
  }
  const address = app.server.address();
  return typeof address === 'object' && address !== null ? address.port : port;
}
