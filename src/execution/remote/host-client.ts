import type { z } from 'zod';
import {
  HostHealthSchema,
  HostRunAcceptedSchema,
  HostRunStatusSchema,
  type HostHealth,
  type HostRunAccepted,
  type HostRunStatusBody,
  type HostStartRequest,
} from '../../contracts/host-protocol.js';
import { KtrdrError, errorFromBody, type ErrorBody } from '../../errors.js';

/** No answer at all: refused, reset, timed out, or the body never arrived. The host may be down or partitioned. */
export class HostUnreachableError extends Error {
  constructor(
    readonly url: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'HostUnreachableError';
  }
}

export interface HostClientOptions {
  /** Sent as `Authorization: Bearer` on every call but `/health`. */
  readonly token?: string;
}

/** Per-call limit, in ms. */
export interface CallOptions {
  readonly timeoutMs: number;
  readonly signal?: AbortSignal;
}

/**
 * Typed client of one training host's protocol (`src/contracts/host-protocol.ts`). Answers are parsed with the same
 * schemas the host declares. Failures are either `HostUnreachableError` (no usable answer: network failure, timeout,
 * a proxy's 502, a body that is not JSON) or a `KtrdrError` rebuilt from the host's error body (it answered, and
 * said no), so callers can tell "try again" from "give up".
 */
export class HostClient {
  readonly baseUrl: string;

  constructor(
    baseUrl: string,
    private readonly options: HostClientOptions = {},
  ) {
    this.baseUrl = baseUrl.replace(/\/+$/, '');
  }

  health(call: CallOptions): Promise<HostHealth> {
    return this.json('GET', '/health', HostHealthSchema, call, undefined, false);
  }

  start(request: HostStartRequest, call: CallOptions): Promise<HostRunAccepted> {
    return this.json('POST', '/training/start', HostRunAcceptedSchema, call, request);
  }

  status(id: string, after: number, call: CallOptions): Promise<HostRunStatusBody> {
    return this.json('GET', `/training/${encodeURIComponent(id)}?after=${after}`, HostRunStatusSchema, call);
  }

  cancel(id: string, call: CallOptions): Promise<HostRunAccepted> {
    return this.json('POST', `/training/${encodeURIComponent(id)}/cancel`, HostRunAcceptedSchema, call, {});
  }

  /** The artifact JSON text (the host sends it gzip-encoded; fetch decodes it). */
  async result(id: string, call: CallOptions): Promise<string> {
    const response = await this.send('GET', `/training/${encodeURIComponent(id)}/result`, call);
    return this.readText(response, call);
  }

  /** The acknowledgement: the host may forget the run and its result. */
  async remove(id: string, call: CallOptions): Promise<void> {
    const response = await this.send('DELETE', `/training/${encodeURIComponent(id)}`, call);
    await response.body?.cancel().catch(() => undefined);
  }

  private async json<S extends z.ZodType>(
    method: string,
    path: string,
    schema: S,
    call: CallOptions,
    body?: unknown,
    authorized = true,
  ): Promise<z.output<S>> {
    const response = await this.send(method, path, call, body, authorized);
    const text = await this.readText(response, call);
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (error) {
      // A proxy's error page or a cut-off body: the host's state is unknown, not wrong, so callers retry like a
      // network failure instead of failing a run that may still be training.
      throw new HostUnreachableError(this.baseUrl, `host ${this.baseUrl} answered ${method} ${path} with something that is not JSON`, {
        cause: error,
      });
    }
    const result = schema.safeParse(parsed);
    if (!result.success) {
      throw new KtrdrError(
        'INTERNAL',
        `host ${this.baseUrl} answered ${method} ${path} outside the protocol: ${result.error.issues[0]?.message ?? 'invalid'}`,
        {
          details: { issues: result.error.issues },
          hint: 'the backend and the host may run different ktrdr versions',
        },
      );
    }
    return result.data;
  }

  /** Sends one request; a non-2xx answer becomes the host's error, with its code. */
  private async send(method: string, path: string, call: CallOptions, body?: unknown, authorized = true): Promise<Response> {
    const url = `${this.baseUrl}${path}`;
    const headers: Record<string, string> = { accept: 'application/json' };
    if (authorized && this.options.token !== undefined) headers.authorization = `Bearer ${this.options.token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    let response: Response;
    try {
      response = await fetch(url, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: this.signalFor(call),
      });
    } catch (error) {
      throw new HostUnreachableError(url, `${method} ${url} failed: ${describeFetchError(error, call)}`, { cause: error });
    }
    if (!response.ok) throw await this.errorOf(response, method, url, call);
    return response;
  }

  private async readText(response: Response, call: CallOptions): Promise<string> {
    try {
      return await response.text();
    } catch (error) {
      throw new HostUnreachableError(response.url, `reading the answer of ${response.url} failed: ${describeFetchError(error, call)}`, {
        cause: error,
      });
    }
  }

  /**
   * A host's own error body with a stable code is its answer. A timeout, rate limit or server error without one
   * (typically from a proxy in between, or a hiccup) says nothing about the run, so it counts as "unreachable" and
   * is retried until the host is declared lost, rather than failing a run that goes on training.
   */
  private async errorOf(response: Response, method: string, url: string, call: CallOptions): Promise<Error> {
    const text = await this.readText(response, call);
    let hostError: KtrdrError | undefined;
    try {
      const body = JSON.parse(text) as ErrorBody;
      if (typeof body?.error?.code === 'string') hostError = errorFromBody(body.error);
    } catch {
      // not our error body; described below
    }
    const transient = response.status === 408 || response.status === 429 || response.status >= 500;
    if (transient && (hostError === undefined || hostError.code === 'INTERNAL')) {
      return new HostUnreachableError(url, `host answered ${method} ${url} with HTTP ${response.status}: ${text.slice(0, 200)}`);
    }
    return hostError ?? new KtrdrError('INTERNAL', `host answered ${method} ${url} with HTTP ${response.status}: ${text.slice(0, 200)}`);
  }

  private signalFor(call: CallOptions): AbortSignal {
    const timeout = AbortSignal.timeout(call.timeoutMs);
    return call.signal === undefined ? timeout : AbortSignal.any([timeout, call.signal]);
  }
}

function describeFetchError(error: unknown, call: CallOptions): string {
  if ((error as { name?: string }).name === 'TimeoutError') return `no answer within ${call.timeoutMs} ms`;
  if (!(error instanceof Error)) return String(error);
  // fetch hides the reason (ECONNREFUSED, ECONNRESET) in `cause`.
  const cause = (error as Error & { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? error.message;
}

export function isHostError(error: unknown, code: string): boolean {
  return error instanceof KtrdrError && error.code === code;
}
