import type { z } from 'zod';
import { HealthSchema, type Health } from '../../contracts/health.js';
import { HostListSchema, type HostList } from '../../contracts/hosts.js';
import {
  CancelResponseSchema,
  OperationEventSchema,
  OperationListSchema,
  OperationLogsSchema,
  OperationMetricsSchema,
  OperationSchema,
  type CancelResponse,
  type ListOperationsQuery,
  type OperationEventWire,
  type OperationList,
  type OperationLogsResponse,
  type OperationMetricsResponse,
  type OperationResponse,
} from '../../contracts/operations.js';
import {
  StartTrainingResponseSchema,
  TrainingConfigChangeSchema,
  TrainingConfigSchema,
  type StartTrainingRequestInput,
  type StartTrainingResponse,
  type TrainingConfig,
  type TrainingConfigChange,
} from '../../contracts/trainings.js';
import {
  StartSweepResponseSchema,
  SweepSchema,
  type StartSweepRequestInput,
  type StartSweepResponse,
  type SweepResponse,
} from '../../contracts/sweeps.js';
import {
  StartWalkForwardResponseSchema,
  WalkForwardSchema,
  type StartWalkForwardRequestInput,
  type StartWalkForwardResponse,
  type WalkForwardResponse,
} from '../../contracts/walkforwards.js';
import { envText, type Environment } from '../../config/environment.js';
import { KtrdrError, errorFromBody, type ErrorBody } from '../../errors.js';
import { isTerminal, type OperationStatus } from '../../operations/operation.js';
import { parseSse } from './sse-parser.js';

export const DEFAULT_SERVER_URL = 'http://127.0.0.1:8000';

/** `--server`, else `KTRDR_SERVER`, else the default; without a trailing slash or `/api/v1`. */
export function resolveServerUrl(option?: string, env: Environment = process.env): string {
  const raw = option?.trim() || envText(env, 'KTRDR_SERVER') || DEFAULT_SERVER_URL;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new KtrdrError('VALIDATION_FAILED', `invalid server URL '${raw}'`, { hint: 'use e.g. --server http://127.0.0.1:8000' });
  }
  return url
    .toString()
    .replace(/\/+$/, '')
    .replace(/\/api\/v1$/, '');
}

export interface EventsOptions {
  /** Resume after this seq. */
  readonly after?: number;
  readonly signal?: AbortSignal;
  /** Reconnect attempts in a row before giving up when the stream drops. @defaultValue 10 */
  readonly maxReconnects?: number;
}

/**
 * Typed HTTP client of the backend, used by the CLI. Responses are parsed with the same contracts the server
 * declares, so drift between them fails loudly here instead of showing wrong numbers.
 */
export class BackendClient {
  readonly baseUrl: string;
  private readonly token: string | undefined;

  /** `token`: the API token sent as `Authorization: Bearer`. @defaultValue `KTRDR_TOKEN` */
  constructor(baseUrl: string, token: string | undefined = envText(process.env, 'KTRDR_TOKEN')) {
    this.baseUrl = resolveServerUrl(baseUrl);
    this.token = token;
  }

  health(): Promise<Health> {
    return this.request('GET', '/health', HealthSchema);
  }

  startTraining(request: StartTrainingRequestInput): Promise<StartTrainingResponse> {
    return this.request('POST', '/trainings/start', StartTrainingResponseSchema, request);
  }

  startSweep(request: StartSweepRequestInput): Promise<StartSweepResponse> {
    return this.request('POST', '/sweeps', StartSweepResponseSchema, request);
  }

  getSweep(id: string): Promise<SweepResponse> {
    return this.request('GET', `/sweeps/${encodeURIComponent(id)}`, SweepSchema);
  }

  startWalkForward(request: StartWalkForwardRequestInput): Promise<StartWalkForwardResponse> {
    return this.request('POST', '/walkforwards', StartWalkForwardResponseSchema, request);
  }

  getWalkForward(id: string): Promise<WalkForwardResponse> {
    return this.request('GET', `/walkforwards/${encodeURIComponent(id)}`, WalkForwardSchema);
  }

  trainingConfig(): Promise<TrainingConfig> {
    return this.request('GET', '/trainings/config', TrainingConfigSchema);
  }

  setTrainingConfig(config: TrainingConfig): Promise<TrainingConfigChange> {
    return this.request('PUT', '/trainings/config', TrainingConfigChangeSchema, config);
  }

  listHosts(): Promise<HostList> {
    return this.request('GET', '/hosts', HostListSchema);
  }

  listOperations(query: ListOperationsQuery = {}): Promise<OperationList> {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(query)) if (value !== undefined) params.set(key, String(value));
    const qs = params.toString();
    return this.request('GET', `/operations${qs ? `?${qs}` : ''}`, OperationListSchema);
  }

  getOperation(id: string): Promise<OperationResponse> {
    return this.request('GET', `/operations/${encodeURIComponent(id)}`, OperationSchema);
  }

  cancelOperation(id: string, reason?: string): Promise<CancelResponse> {
    return this.request('DELETE', `/operations/${encodeURIComponent(id)}`, CancelResponseSchema, reason === undefined ? undefined : { reason });
  }

  resumeOperation(id: string): Promise<OperationResponse> {
    return this.request('POST', `/operations/${encodeURIComponent(id)}/resume`, OperationSchema);
  }

  saveKeptModel(id: string): Promise<OperationResponse> {
    return this.request('POST', `/operations/${encodeURIComponent(id)}/save`, OperationSchema);
  }

  operationMetrics(id: string): Promise<OperationMetricsResponse> {
    return this.request('GET', `/operations/${encodeURIComponent(id)}/metrics`, OperationMetricsSchema);
  }

  operationLogs(id: string, level?: string): Promise<OperationLogsResponse> {
    return this.request(
      'GET',
      `/operations/${encodeURIComponent(id)}/logs${level ? `?level=${encodeURIComponent(level)}` : ''}`,
      OperationLogsSchema,
    );
  }

  /**
   * The operation's events, live, until its terminal status event. A dropped connection is resumed from the last
   * seq seen (`Last-Event-ID`), so nothing is missed or repeated.
   */
  async *events(id: string, options: EventsOptions = {}): AsyncGenerator<OperationEventWire> {
    let last = options.after ?? 0;
    let failures = 0;
    const maxReconnects = options.maxReconnects ?? 10;
    for (;;) {
      let response: Response;
      try {
        response = await this.fetch(`/operations/${encodeURIComponent(id)}/events`, {
          headers: { accept: 'text/event-stream', 'last-event-id': String(last) },
          signal: options.signal,
        });
      } catch (error) {
        if (options.signal?.aborted || ++failures > maxReconnects) throw error;
        await delay(Math.min(2000, 100 * 2 ** failures));
        continue;
      }
      if (!response.ok) throw await errorOf(response);
      if (!response.body) throw new KtrdrError('INTERNAL', 'the event stream has no body');
      try {
        for await (const message of parseSse(response.body)) {
          failures = 0;
          const event = OperationEventSchema.parse(JSON.parse(message.data));
          last = event.seq;
          yield event;
          if (event.kind === 'status' && isTerminal((event.data as { to: OperationStatus }).to)) return;
        }
      } catch (error) {
        if (options.signal?.aborted) throw error;
        if (error instanceof SyntaxError || (error as { name?: string }).name === 'ZodError') throw error;
        // Connection dropped mid-stream: fall through and resume.
      }
      if (options.signal?.aborted) return;
      // The server ends a stream only after the terminal event; an early end is a dropped connection.
      if (++failures > maxReconnects) throw new KtrdrError('SERVER_UNREACHABLE', `the event stream of ${id} kept dropping`);
      await delay(Math.min(2000, 100 * 2 ** failures));
    }
  }

  private async request<S extends z.ZodType>(method: string, path: string, schema: S, body?: unknown): Promise<z.output<S>> {
    const init: RequestInit = { method, headers: { accept: 'application/json' } };
    if (body !== undefined) {
      init.body = JSON.stringify(body);
      init.headers = { ...init.headers, 'content-type': 'application/json' };
    }
    const response = await this.fetch(path, init);
    if (!response.ok) throw await errorOf(response);
    const parsed = schema.safeParse(await response.json());
    if (!parsed.success) {
      throw new KtrdrError('INTERNAL', `unexpected response from ${method} ${path}: ${parsed.error.issues[0]?.message ?? 'invalid'}`, {
        details: { issues: parsed.error.issues },
        hint: 'the CLI and the server may be different ktrdr versions',
      });
    }
    return parsed.data;
  }

  private async fetch(path: string, init: RequestInit): Promise<Response> {
    try {
      const headers =
        this.token === undefined ? init.headers : { ...(init.headers as Record<string, string>), authorization: `Bearer ${this.token}` };
      return await fetch(`${this.baseUrl}/api/v1${path}`, { ...init, headers });
    } catch (error) {
      if ((error as { name?: string }).name === 'AbortError') throw error;
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      const untrustedCertificate = /CERT|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)/.test(cause?.code ?? '');
      throw new KtrdrError(
        'SERVER_UNREACHABLE',
        `cannot reach the ktrdr server at ${this.baseUrl}: ${cause?.code ?? cause?.message ?? String(error)}`,
        {
          hint: untrustedCertificate
            ? "the server's TLS certificate is not trusted here: point NODE_EXTRA_CA_CERTS at it (or at the CA that signed it)"
            : 'start it with `ktrdr serve`, or point --server / KTRDR_SERVER at it',
          cause: error,
        },
      );
    }
  }
}

async function errorOf(response: Response): Promise<KtrdrError> {
  const text = await response.text();
  try {
    const body = JSON.parse(text) as ErrorBody;
    if (body && typeof body.error?.code === 'string') return errorFromBody(body.error);
  } catch {
    // not our error body; described below
  }
  return new KtrdrError('INTERNAL', `server answered HTTP ${response.status}: ${text.slice(0, 200)}`);
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
