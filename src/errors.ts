/**
 * The one error registry. Every failure a user can see carries a stable `code` from this table; the HTTP layer maps
 * the code to its status here and nowhere else, and `docs/errors.md` documents every code (a test keeps them in sync).
 */

export interface ErrorSpec {
  /** HTTP status used when this error crosses an HTTP boundary. */
  readonly status: number;
  /** One line for the docs: when this error happens. */
  readonly description: string;
}

export const ERROR_CODES = {
  // Input and configuration
  STRATEGY_INVALID: { status: 422, description: 'A strategy file failed validation (YAML syntax, unknown keys, bad references).' },
  STRATEGY_NOT_FOUND: { status: 404, description: 'No strategy file with that name exists in the strategies directory.' },
  INVALID_NAME: { status: 400, description: 'A strategy, symbol or timeframe name has characters that are not allowed (path tricks are refused).' },
  INDICATOR_UNKNOWN: { status: 422, description: 'An indicator type is not in the registry.' },
  INDICATOR_PARAMS_INVALID: { status: 422, description: 'Indicator parameters are missing, of the wrong type or out of range.' },
  LABEL_PARAMS_INVALID: { status: 422, description: 'Label settings are out of range, e.g. a ZigZag threshold outside 0 < t < 1.' },
  MEMBERSHIP_INVALID: { status: 422, description: 'A fuzzy membership function has the wrong number or order of parameters.' },
  VALIDATION_FAILED: {
    status: 400,
    description: 'A request (its body, query or HTTP framing) or a CLI argument or option is malformed; the message names the field or option.',
  },
  FILE_EXISTS: { status: 409, description: 'A file the command would write already exists (e.g. `ktrdr data synth` without --force).' },
  // Market data
  DATA_NOT_FOUND: { status: 404, description: 'No data file exists for the requested symbol and timeframe.' },
  DATA_INVALID: { status: 422, description: 'A data file has a bad row: unparsable number, high < low, non-increasing timestamp, missing column.' },
  DATA_EMPTY_RANGE: { status: 422, description: 'The requested date range selects no bars, or too few for the strategy.' },
  DATA_INSUFFICIENT: { status: 422, description: 'Too few bars remain after warm-up to train or predict.' },
  // Training and models
  TRAINING_FAILED: { status: 500, description: 'Training stopped on an unexpected internal error.' },
  TRAINING_DIVERGED: { status: 422, description: 'The loss became NaN or infinite during training.' },
  BACKEND_UNAVAILABLE: {
    status: 422,
    description: 'The requested training backend cannot run on this machine (e.g. wasm-simd without WebAssembly SIMD, or its kernels not built).',
  },
  CANCELLED: { status: 409, description: 'The run was cancelled before it finished.' },
  MODEL_NOT_FOUND: { status: 404, description: 'No trained model (or no such version) exists for the strategy.' },
  MODEL_CORRUPT: { status: 500, description: 'A stored model version failed validation when loading (missing file, bad checksum, wrong size).' },
  CHECKPOINT_CORRUPT: {
    status: 422,
    description:
      'A checkpoint file failed its checks (bad magic, truncated, wrong sha256); it is never used, the previous checkpoint is tried instead.',
  },
  CHECKPOINT_MISMATCH: {
    status: 409,
    description: 'A checkpoint was computed from a different strategy text, data file, network or epoch count than the run resuming from it.',
  },
  NO_CHECKPOINT: {
    status: 409,
    description:
      "The operation cannot be resumed: it has no usable checkpoint (or it is not a failed or cancelled training). For a training host asking for a run's checkpoint: there is none, and the run trains from epoch 1.",
  },
  MODEL_NOT_TRADABLE: {
    status: 422,
    description:
      'A backtest was asked of a model whose classes are not trading signals (e.g. context or regime labels); only BUY/HOLD/SELL models trade.',
  },
  // Operations and execution
  OPERATION_NOT_FOUND: { status: 404, description: 'No operation with that id exists.' },
  OPERATION_FINISHED: { status: 409, description: 'The operation already reached a terminal state.' },
  OPERATION_EXISTS: { status: 409, description: 'An operation with that id already exists.' },
  INVALID_TRANSITION: {
    status: 409,
    description: 'The operation is in a status the requested change does not start from (e.g. a recovered result for a run that did not fail).',
  },
  NOT_A_HOST_RUN: {
    status: 409,
    description: 'A training host sent a result or a checkpoint, or asked for one, for an operation that did not run on a training host.',
  },
  RESULT_NOT_READY: {
    status: 409,
    description: 'A run has no result to fetch yet (still running, or not followed by this server: the result will be fetched from the host).',
  },
  RUN_EXISTS: { status: 409, description: 'The training host already has a run with that operation id.' },
  RUN_ACTIVE: { status: 409, description: 'The run is still going: cancel it before removing it.' },
  STORAGE_FULL: {
    status: 507,
    description: 'The disk holding the model store is full (or over quota); the trained model was kept aside and is saved once there is space.',
  },
  MODEL_SAVE_FAILED: {
    status: 500,
    description:
      'The model store could not write a trained model (e.g. read-only directory); the model was kept aside and can be saved with `ktrdr ops save`.',
  },
  NO_KEPT_MODEL: {
    status: 404,
    description: 'The operation has no trained model waiting to be saved (it was saved already, or the run ended without one).',
  },
  SHUTTING_DOWN: { status: 503, description: 'The server or host is shutting down and accepts no new work.' },
  INTERRUPTED: { status: 500, description: 'The process running the operation stopped before the operation finished.' },
  HOST_UNAVAILABLE: { status: 503, description: 'No healthy training host can take the run and local fallback is not allowed.' },
  HOST_BUSY: { status: 503, description: 'The training host is at capacity.' },
  HOST_LOST: { status: 502, description: 'The training host stopped answering during a run.' },
  UNAUTHORIZED: {
    status: 401,
    description:
      'A request lacks a valid bearer token: missing, unknown or revoked API token (KTRDR_TOKEN), or the wrong KTRDR_HOST_TOKEN on a host endpoint.',
  },
  FORBIDDEN: { status: 403, description: 'The API token is valid but its scope (read, train, admin) is too low for the endpoint.' },
  HOST_NOT_ALLOWED: {
    status: 421,
    description:
      'The request names a Host the server does not answer for (DNS rebinding protection); add it with KTRDR_PUBLIC_URL or KTRDR_ALLOWED_HOSTS.',
  },
  TOO_MANY_FAILED_LOGINS: {
    status: 429,
    description: 'Too many requests with a wrong API token from this client; wait for the `Retry-After` seconds.',
  },
  TOKEN_NOT_FOUND: { status: 404, description: '`ktrdr tokens revoke` named a token that does not exist.' },
  AUTH_NOT_CONFIGURED: {
    status: 500,
    description:
      '`ktrdr serve` was asked to listen beyond loopback without an admin API token (create one with `ktrdr tokens create`, or pass --insecure).',
  },
  HEADERS_TOO_LARGE: {
    status: 431,
    description: 'The request line and headers exceed the HTTP parser limit (16 KiB); the connection is closed after the answer.',
  },
  REQUEST_TIMEOUT: { status: 408, description: 'The client did not send a complete request in time; the connection is closed after the answer.' },
  PAYLOAD_TOO_LARGE: { status: 413, description: 'The request body exceeds the size limit.' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, description: 'A request body was sent with a content type other than application/json.' },
  PORT_IN_USE: { status: 409, description: '`ktrdr serve` or `ktrdr host` cannot listen: another process already uses that port on that address.' },
  ADDRESS_UNAVAILABLE: {
    status: 500,
    description: "`ktrdr serve` or `ktrdr host` cannot listen: the address is not one of this machine's, or the port needs privileges.",
  },
  TLS_INVALID: {
    status: 500,
    description: '`--tls-cert` / `--tls-key` cannot be read, or are not a PEM certificate and its own private key.',
  },
  HOME_LOCKED: {
    status: 409,
    description: 'Another ktrdr server is using the same KTRDR_HOME (one server per home keeps a single writer of operations and models).',
  },
  STORE_CORRUPT: {
    status: 500,
    description:
      'KTRDR_HOME/ktrdr.db is not a readable SQLite database (corrupt, or another kind of file). The server leaves it untouched: move it aside to start with an empty one.',
  },
  QUEUE_UNAVAILABLE: {
    status: 503,
    description: 'Cluster mode: Redis (KTRDR_REDIS_URL / `ktrdr host --queue`) cannot be reached.',
  },
  QUEUE_MISCONFIGURED: {
    status: 500,
    description: 'Cluster mode: Redis is not configured as queued runs need (maxmemory-policy must be noeviction).',
  },
  SERVER_UNREACHABLE: {
    status: 503,
    description: 'The CLI could not connect to the ktrdr server (wrong --server/KTRDR_SERVER, or the server is not running).',
  },
  NOT_FOUND: { status: 404, description: 'No route matches the request.' },
  INTERNAL: { status: 500, description: 'An unexpected error; the server log has the details.' },
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof ERROR_CODES;

export interface KtrdrErrorOptions {
  details?: unknown;
  hint?: string;
  cause?: unknown;
}

export class KtrdrError extends Error {
  readonly code: ErrorCode;
  readonly details?: unknown;
  readonly hint?: string;

  constructor(code: ErrorCode, message: string, options: KtrdrErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'KtrdrError';
    this.code = code;
    this.details = options.details;
    this.hint = options.hint;
  }

  get status(): number {
    return ERROR_CODES[this.code].status;
  }

  /** The one error body shape used by every HTTP endpoint and by `--json` CLI output. */
  toBody(): ErrorBody {
    const error: ErrorBody['error'] = { code: this.code, message: this.message };
    if (this.details !== undefined) error.details = this.details;
    if (this.hint !== undefined) error.hint = this.hint;
    return { error };
  }
}

export interface ErrorBody {
  error: { code: string; message: string; details?: unknown; hint?: string };
}

export function isKtrdrError(value: unknown): value is KtrdrError {
  return value instanceof KtrdrError;
}

export function isErrorCode(value: string): value is ErrorCode {
  return Object.prototype.hasOwnProperty.call(ERROR_CODES, value);
}

/** Rebuilds a typed error from an error body that crossed a process or network boundary. */
export function errorFromBody(body: ErrorBody['error']): KtrdrError {
  const code = isErrorCode(body.code) ? body.code : 'INTERNAL';
  return new KtrdrError(code, body.message, { details: body.details, hint: body.hint });
}
