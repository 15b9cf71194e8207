import { z } from 'zod';
import { SymbolSchema, TimeframeSchema } from './common.js';

/**
 * The wire protocol between the backend and a training host. Both sides import these schemas, so a change here is a
 * change to both. Every host endpoint except `/health` (and the backend's result endpoint) requires
 * `Authorization: Bearer <KTRDR_HOST_TOKEN>`.
 *
 * Lifecycle of a run on a host: `POST /training/start` → the host runs the same `runTraining` pipeline as local
 * execution → events are polled with `GET /training/{id}?after=<seq>` → on completion the host pushes the artifact to
 * `callback_url` (gzip JSON, retried 1 s, 2 s, 4 s, 8 s) and keeps it for `GET /training/{id}/result` until the
 * backend acknowledges it with `DELETE /training/{id}` or the retention time passes.
 *
 * Answers, all errors with the usual `{"error": {code, message}}` body:
 * - `POST /training/start` → 202 `HostRunAccepted`; 400 VALIDATION_FAILED; 401 UNAUTHORIZED; 409 RUN_EXISTS (the id is
 *   already known to the host); 503 HOST_BUSY when queued + running runs ≥ capacity (the host never queues beyond it).
 * - `GET /training/{id}` → 200 `HostRunStatus`; 404 OPERATION_NOT_FOUND (never started here, acknowledged, or expired).
 * - `POST /training/{id}/cancel` → 202 `HostRunAccepted` (idempotent; a finished run stays as it is); 404.
 * - `GET /training/{id}/result` → 200 gzip JSON (`artifactToJson`); 409 RESULT_NOT_READY while there is none; 404.
 * - `DELETE /training/{id}` → 204; 409 RUN_ACTIVE while the run has not finished (cancel first); 404.
 *
 * The push to `callback_url`: `POST` with `Content-Type: application/json`, `Content-Encoding: gzip` (the backend
 * must gunzip the body itself) and the bearer token. Any 2xx counts as delivered; network errors, 5xx, 408 and 429
 * are retried, any other 4xx is not. Either way the result stays available for a pull.
 */

const Sha256Schema = z.string().regex(/^[0-9a-f]{64}$/, 'lower-case hex sha256');

export const HostDeviceSchema = z.object({
  kind: z.enum(['cpu', 'gpu']),
  name: z.string(),
  cores: z.number().int().nonnegative(),
  memory: z.number().nonnegative().describe('bytes'),
});
export type HostDevice = z.infer<typeof HostDeviceSchema>;

export const HostHealthSchema = z.object({
  status: z.literal('ok'),
  version: z.string(),
  busy: z.boolean().describe('true when every slot is taken'),
  active: z.number().int().nonnegative().describe('runs queued or running'),
  capacity: z.number().int().positive().describe('runs that may execute at once'),
  device: HostDeviceSchema,
});
export type HostHealth = z.infer<typeof HostHealthSchema>;

/** One market data series the run needs; the host uses its own copy only when the bytes hash the same. */
export const DataRequirementSchema = z.strictObject({
  symbol: SymbolSchema,
  timeframe: TimeframeSchema,
  sha256: Sha256Schema,
});
export type DataRequirement = z.infer<typeof DataRequirementSchema>;

/** The backend's operation id; the host names its run after it, so both sides speak of the same id. */
export const HostOperationIdSchema = z
  .string()
  .min(1)
  .max(100)
  .regex(/^[A-Za-z0-9_-]+$/);

export const HostStartRequestSchema = z.strictObject({
  operation_id: HostOperationIdSchema,
  /** The strategy travels as content, never as a path, with the request's overrides and seed already applied. */
  strategy_yaml: z.string().min(1).max(1_000_000),
  request: z.strictObject({
    strategy_source: z.string().max(500).optional(),
  }),
  data: z.array(DataRequirementSchema).min(1).max(1000),
  /** Where to push the artifact on completion, e.g. `http://backend:8000/api/v1/trainings/{id}/result`. */
  callback_url: z.url().optional(),
});
export type HostStartRequest = z.infer<typeof HostStartRequestSchema>;

export const HOST_RUN_STATUSES = ['queued', 'running', 'completed', 'failed', 'cancelled'] as const;
export type HostRunStatus = (typeof HOST_RUN_STATUSES)[number];

/** Answer of `POST /training/start` (202) and `POST /training/{id}/cancel` (202). */
export const HostRunAcceptedSchema = z.object({
  operation_id: z.string(),
  status: z.enum(HOST_RUN_STATUSES),
});
export type HostRunAccepted = z.infer<typeof HostRunAcceptedSchema>;

/** Path parameter of every `/training/{id}` endpoint. */
export const HostRunParamsSchema = z.strictObject({ id: HostOperationIdSchema });

/** Query of `GET /training/{id}`: events with `seq > after`, at most `limit` of them. */
export const HostRunQuerySchema = z.strictObject({
  after: z.coerce.number().int().min(0).default(0),
  limit: z.coerce.number().int().min(1).max(10_000).default(1000),
});
export type HostRunQuery = z.infer<typeof HostRunQuerySchema>;

/**
 * One thing that happened in a run. `data` by kind: `started` → `{device}`; `progress` → a `TrainingProgress`
 * snapshot (only the latest is kept, so a slow poller may see fewer); `log` → a pipeline `LogRecord`
 * (`{time, level, msg, …}`, the same text as a local run); `metric` → one `EpochRecord`. Logs and metrics are never
 * dropped while the run is kept. `seq` increases, with gaps where progress was superseded.
 */
export const HostEventSchema = z.object({
  seq: z.number().int().positive(),
  kind: z.enum(['started', 'progress', 'log', 'metric']),
  data: z.record(z.string(), z.unknown()),
});
export type HostEvent = z.infer<typeof HostEventSchema>;

export const HostRunStatusSchema = z.object({
  operation_id: z.string(),
  status: z.enum(HOST_RUN_STATUSES),
  device: z.string().nullable(),
  error: z.object({ code: z.string(), message: z.string() }).nullable(),
  /** Events after the `after` cursor, oldest first. */
  events: z.array(HostEventSchema),
  /** Pass as `after` on the next poll. */
  next_cursor: z.number().int().nonnegative(),
  /** True while a completed run's artifact can be fetched from `/training/{id}/result`. */
  result_available: z.boolean(),
  /** Whether the push to `callback_url` succeeded (null while not attempted or without a callback). */
  result_pushed: z.boolean().nullable(),
});
export type HostRunStatusBody = z.infer<typeof HostRunStatusSchema>;

export const HostRegistrationSchema = z.strictObject({
  url: z.url(),
  name: z.string().max(100).optional(),
});
export type HostRegistration = z.infer<typeof HostRegistrationSchema>;

/** Backend endpoint a host registers (and heartbeats) with. */
export const BACKEND_HOST_REGISTER_PATH = '/api/v1/hosts/register';

/**
 * Backend endpoint a host downloads a market data series from when its own copy is missing or differs: the exact
 * bytes of `{SYMBOL}_{TF}.csv`, gzip-compressed (as `Content-Encoding: gzip` or as an `application/gzip` body; the
 * host accepts both), bearer token required. The host checks the sha256 of the decompressed bytes.
 */
export function backendDataPath(symbol: string, timeframe: string): string {
  return `/api/v1/data/${encodeURIComponent(symbol)}/${encodeURIComponent(timeframe)}`;
}
