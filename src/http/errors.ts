import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ERROR_CODES, KtrdrError, isKtrdrError, type ErrorBody, type ErrorCode } from '../errors.js';

/** Fastify's own request errors, by code, mapped onto the registry. */
const FRAMEWORK_CODES: Record<string, ErrorCode> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_INVALID_JSON_BODY: 'VALIDATION_FAILED',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'VALIDATION_FAILED',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'VALIDATION_FAILED',
  FST_ERR_BAD_URL: 'VALIDATION_FAILED',
  FST_ERR_MAX_PARAM_LENGTH: 'VALIDATION_FAILED',
  FST_ERR_ASYNC_CONSTRAINT: 'VALIDATION_FAILED',
};

const BY_STATUS: Record<number, ErrorCode> = { 404: 'NOT_FOUND', 413: 'PAYLOAD_TOO_LARGE', 415: 'UNSUPPORTED_MEDIA_TYPE' };

/**
 * The one mapping from anything thrown to `{status, body}`. Known errors keep their code; a client mistake caught by
 * Fastify before our handlers becomes the matching registry code; everything else is a 500 INTERNAL that carries the
 * request id, so the log line with the stack can be found.
 */
export function toErrorResponse(error: unknown, requestId: string): { status: number; body: ErrorBody; unexpected: boolean } {
  if (isKtrdrError(error)) return { status: error.status, body: error.toBody(), unexpected: error.code === 'INTERNAL' };
  const fastifyError = error as Partial<FastifyError>;
  const code =
    (fastifyError.code !== undefined ? FRAMEWORK_CODES[fastifyError.code] : undefined) ??
    (fastifyError.statusCode !== undefined && fastifyError.statusCode >= 400 && fastifyError.statusCode < 500
      ? (BY_STATUS[fastifyError.statusCode] ?? 'VALIDATION_FAILED')
      : undefined);
  if (code !== undefined) {
    const message = fastifyError.message ?? ERROR_CODES[code].description;
    return { status: ERROR_CODES[code].status, body: new KtrdrError(code, message).toBody(), unexpected: false };
  }
  const internal = new KtrdrError('INTERNAL', 'internal server error', {
    details: { request_id: requestId },
    hint: 'the server log has the details under this request id',
  });
  return { status: internal.status, body: internal.toBody(), unexpected: true };
}

export function sendError(error: unknown, request: FastifyRequest, reply: FastifyReply): void {
  const { status, body, unexpected } = toErrorResponse(error, String(request.id));
  if (unexpected) request.log.error({ err: error, request_id: request.id }, 'unexpected error');
  void reply.code(status).type('application/json; charset=utf-8').send(body);
}

/** Errors and unknown routes answer with the one error body; `notFoundHint` tells the caller where the routes are. */
export function installErrorHandling(app: FastifyInstance, notFoundHint: string): void {
  app.setErrorHandler((error, request, reply) => sendError(error, request, reply));
  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0];
    const shown = path.length > 200 ? `${path.slice(0, 200)}…` : path;
    sendError(new KtrdrError('NOT_FOUND', `no route ${request.method} ${shown}`, { hint: notFoundHint }), request, reply);
  });
}

/**
 * Node's HTTP parser refuses some requests before Fastify sees them: headers over its 16 KiB limit, a request that
 * is not HTTP, a client too slow to send one. Fastify's default answer has another body shape, so these are answered
 * here, on the raw socket, with the one error body. The parser cannot go on after such an error, so the connection
 * is closed.
 */
export function answerClientError(error: Error & { code?: string }, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const refused = clientErrorOf(error);
  const status = refused.status;
  const body = JSON.stringify(refused.toBody());
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\nContent-Type: application/json; charset=utf-8\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy();
}

function clientErrorOf(error: Error & { code?: string }): KtrdrError {
  if (error.code === 'HPE_HEADER_OVERFLOW') {
    return new KtrdrError('HEADERS_TOO_LARGE', 'the request line and headers exceed 16 KiB', {
      hint: 'send large values in the JSON body instead of in headers or the URL',
    });
  }
  if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT') return new KtrdrError('REQUEST_TIMEOUT', 'the request was not received completely in time');
  return new KtrdrError('VALIDATION_FAILED', `malformed HTTP request${error.code ? ` (${error.code})` : ''}`);
}
