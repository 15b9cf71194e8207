import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { z } from 'zod';
import { KtrdrError, type ErrorCode } from '../errors.js';
import { defaultAccess, type Access } from './access.js';
import { parsePart, type Parsed, type Schema } from '../http/parse.js';

export interface RouteInput<P, Q, B> {
  readonly params: Parsed<P>;
  readonly query: Parsed<Q>;
  readonly body: Parsed<B>;
}

interface RouteBase<P, Q, B> {
  readonly method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** Below the API prefix, in Fastify syntax: `/operations/:id`. */
  readonly url: string;
  readonly summary: string;
  readonly tag: string;
  readonly description?: string;
  readonly params?: P;
  /** Without one, any query parameter is refused: unknown keys are errors, never silently ignored. */
  readonly query?: Q;
  readonly body?: B;
  /** Error codes this route answers with besides VALIDATION_FAILED; for the OpenAPI document. */
  readonly errors?: readonly ErrorCode[];
  /** Who may call it. @defaultValue `host` with a guard, else `read` for GET and `admin` for anything else */
  readonly access?: Access;
  /** Runs before the body is read (authentication), so a refused caller cannot make the server parse anything. */
  readonly guard?: (request: FastifyRequest) => void;
  /** Largest body accepted (after decompression), in bytes. @defaultValue the app's limit */
  readonly bodyLimit?: number;
  /** Accept `Content-Encoding: gzip` request bodies (hosts push artifacts compressed). */
  readonly gzipBody?: boolean;
}

/** A route answering one JSON document with a fixed status. */
export interface JsonRoute<P, Q, B, R extends Schema> extends RouteBase<P, Q, B> {
  readonly kind: 'json';
  readonly status: number;
  readonly response: R;
  /** `reply` only for headers beside the body (a login's Set-Cookie); the status and body are the route's. */
  handle(input: RouteInput<P, Q, B>, request: FastifyRequest, reply: FastifyReply): Promise<z.output<R>>;
}

/** A route that writes its own response (Server-Sent Events). */
export interface StreamRoute<P, Q, B> extends RouteBase<P, Q, B> {
  readonly kind: 'stream';
  readonly contentType: string;
  /** Shape of each event's data (or of the whole body), for the docs. */
  readonly eventSchema: Schema;
  /** What the 200 answer is, for the docs. @defaultValue an event stream */
  readonly responseDescription?: string;
  handle(input: RouteInput<P, Q, B>, request: FastifyRequest, reply: FastifyReply): Promise<void>;
}

type Part = Schema | undefined;
export type AnyRoute = JsonRoute<Part, Part, Part, Schema> | StreamRoute<Part, Part, Part>;

/**
 * Declares a JSON route. The schemas are the single source of the route's validation, its TypeScript types and its
 * OpenAPI entry; the handler receives parsed input and only calls a service.
 */
export function jsonRoute<P extends Part = undefined, Q extends Part = undefined, B extends Part = undefined, R extends Schema = Schema>(
  route: Omit<JsonRoute<P, Q, B, R>, 'kind'>,
): AnyRoute {
  return { ...route, kind: 'json' } as unknown as AnyRoute;
}

export function streamRoute<P extends Part = undefined, Q extends Part = undefined, B extends Part = undefined>(
  route: Omit<StreamRoute<P, Q, B>, 'kind'>,
): AnyRoute {
  return { ...route, kind: 'stream' } as unknown as AnyRoute;
}

const NO_QUERY = z.strictObject({});

/** Who may call the route: its declared access, else `host` with a guard, else by method. */
export function routeAccess(route: AnyRoute): Access {
  return route.access ?? (route.guard !== undefined ? 'host' : defaultAccess(route.method));
}

export function registerRoutes(app: FastifyInstance, prefix: string, routes: readonly AnyRoute[]): void {
  for (const route of routes) {
    const guard = route.guard;
    app.route({
      method: route.method,
      url: `${prefix}${route.url}`,
      config: { access: routeAccess(route) },
      ...(guard !== undefined ? { onRequest: async (request: FastifyRequest) => guard(request) } : {}),
      ...(route.bodyLimit !== undefined ? { bodyLimit: route.bodyLimit } : {}),
      ...(route.gzipBody
        ? { preParsing: async (request: FastifyRequest, _reply: FastifyReply, payload: Readable) => gunzipIfEncoded(request, payload) }
        : {}),
      handler: async (request, reply) => {
        const input: RouteInput<Part, Part, Part> = {
          params: parsePart(route.params, request.params, 'path'),
          query: parsePart(route.query ?? NO_QUERY, request.query ?? {}, 'query'),
          body: parsePart(route.body, request.body, 'body'),
        };
        if (route.kind === 'stream') {
          await route.handle(input, request, reply);
          return reply;
        }
        const body = await route.handle(input, request, reply);
        return reply.code(route.status).send(body);
      },
    });
  }
}

/**
 * Decompresses a `Content-Encoding: gzip` body before the JSON parser sees it. The body limit then applies to the
 * decompressed bytes (so a small bomb cannot inflate past it), and the compressed count is reported to Fastify for
 * its Content-Length check.
 */
function gunzipIfEncoded(request: FastifyRequest, payload: Readable): Readable {
  const encoding = request.headers['content-encoding']?.trim().toLowerCase();
  if (encoding === undefined || encoding === 'identity') return payload;
  if (encoding !== 'gzip') throw new KtrdrError('UNSUPPORTED_MEDIA_TYPE', `Content-Encoding '${encoding}' is not supported; send gzip or nothing`);
  const gunzip = createGunzip() as ReturnType<typeof createGunzip> & { receivedEncodedLength: number };
  gunzip.receivedEncodedLength = 0;
  payload.on('data', (chunk: Buffer) => (gunzip.receivedEncodedLength += chunk.length));
  payload.on('error', (error) => gunzip.destroy(error));
  gunzip.on('error', () => payload.destroy());
  payload.pipe(gunzip);
  return gunzip;
}
