import { KtrdrError } from '../../errors.js';
import type { ExecutionMode } from '../../operations/operation.js';
import type { RemoteRunSettings } from '../remote/remote-settings.js';
import { normalizeHostUrl, parseHostList } from './host-url.js';

export type Environment = Readonly<Record<string, string | undefined>>;

/** Everything about training hosts the backend reads from its environment; validated once, at start-up. */
export interface HostSettings {
  /** `KTRDR_HOSTS=url1,url2`. */
  readonly hosts: readonly string[];
  /** `KTRDR_HOST_TOKEN`: the shared secret between the backend and its hosts. */
  readonly token: string | undefined;
  /** `KTRDR_PUBLIC_URL`: the backend's base URL as hosts reach it; default: the address it listens on. */
  readonly publicUrl: string | undefined;
  /** `TRAINING_DEFAULT_MODE`: the startup default execution mode. @defaultValue auto */
  readonly defaultMode: ExecutionMode;
  /** `KTRDR_HOST_HEALTH_TIMEOUT_MS` (default 1000) and `KTRDR_HOST_HEALTH_INTERVAL_MS` (default 5000). */
  readonly healthTimeoutMs?: number;
  readonly healthIntervalMs?: number;
  /**
   * `KTRDR_HOST_LOST_AFTER_MS` (default 15000), `KTRDR_HOST_PUSH_GRACE_MS` (default 2000),
   * `KTRDR_HOST_RECOVERY_POLL_MS` (default 5000) and `KTRDR_HOST_RECOVERY_WINDOW_MS` (default 1 h).
   */
  readonly run: Partial<RemoteRunSettings>;
}

const MODES: readonly ExecutionMode[] = ['auto', 'local', 'host'];

export function hostSettingsFromEnv(env: Environment = process.env): HostSettings {
  const mode = env.TRAINING_DEFAULT_MODE?.trim() || 'auto';
  if (!(MODES as readonly string[]).includes(mode)) {
    throw new KtrdrError('VALIDATION_FAILED', `TRAINING_DEFAULT_MODE must be one of ${MODES.join(', ')}, got '${mode}'`);
  }
  const publicUrl = env.KTRDR_PUBLIC_URL?.trim();
  const run: { -readonly [K in keyof RemoteRunSettings]?: RemoteRunSettings[K] } = {};
  const lost = milliseconds(env, 'KTRDR_HOST_LOST_AFTER_MS');
  if (lost !== undefined) run.lostAfterMs = lost;
  const grace = milliseconds(env, 'KTRDR_HOST_PUSH_GRACE_MS');
  if (grace !== undefined) run.pushGraceMs = grace;
  const recoveryPoll = milliseconds(env, 'KTRDR_HOST_RECOVERY_POLL_MS');
  if (recoveryPoll !== undefined) run.recoveryPollMs = recoveryPoll;
  const recoveryWindow = milliseconds(env, 'KTRDR_HOST_RECOVERY_WINDOW_MS');
  if (recoveryWindow !== undefined) run.recoveryWindowMs = recoveryWindow;
  return {
    hosts: parseHostList(env.KTRDR_HOSTS),
    token: env.KTRDR_HOST_TOKEN?.trim() || undefined,
    publicUrl: publicUrl ? normalizeHostUrl(publicUrl, 'KTRDR_PUBLIC_URL') : undefined,
    defaultMode: mode as ExecutionMode,
    healthTimeoutMs: milliseconds(env, 'KTRDR_HOST_HEALTH_TIMEOUT_MS'),
    healthIntervalMs: milliseconds(env, 'KTRDR_HOST_HEALTH_INTERVAL_MS'),
    run,
  };
}

function milliseconds(env: Environment, name: string): number | undefined {
  const raw = env[name]?.trim();
  if (!raw) return undefined;
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(value) || value < 1 || value > 24 * 3600_000) {
    throw new KtrdrError('VALIDATION_FAILED', `${name} must be a whole number of milliseconds (1..86400000), got '${raw}'`);
  }
  return value;
}
