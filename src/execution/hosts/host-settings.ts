import { envChoice, envMilliseconds, envText, type Environment } from '../../config/environment.js';
import { EXECUTION_MODES, type ExecutionMode } from '../../operations/operation.js';
import type { RemoteRunSettings } from '../remote/remote-settings.js';
import { normalizeHostUrl, parseHostList } from './host-url.js';

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
  /** `KTRDR_REDIS_URL`: cluster mode, remote runs go to BullMQ queues that queue hosts pull from. */
  readonly redisUrl?: string;
}

export function hostSettingsFromEnv(env: Environment = process.env): HostSettings {
  const publicUrl = envText(env, 'KTRDR_PUBLIC_URL');
  const run: { -readonly [K in keyof RemoteRunSettings]?: RemoteRunSettings[K] } = {};
  const lost = envMilliseconds(env, 'KTRDR_HOST_LOST_AFTER_MS');
  if (lost !== undefined) run.lostAfterMs = lost;
  const grace = envMilliseconds(env, 'KTRDR_HOST_PUSH_GRACE_MS');
  if (grace !== undefined) run.pushGraceMs = grace;
  const recoveryPoll = envMilliseconds(env, 'KTRDR_HOST_RECOVERY_POLL_MS');
  if (recoveryPoll !== undefined) run.recoveryPollMs = recoveryPoll;
  const recoveryWindow = envMilliseconds(env, 'KTRDR_HOST_RECOVERY_WINDOW_MS');
  if (recoveryWindow !== undefined) run.recoveryWindowMs = recoveryWindow;
  return {
    hosts: parseHostList(env.KTRDR_HOSTS),
    token: hostTokenFromEnv(env),
    publicUrl: publicUrl ? normalizeHostUrl(publicUrl, 'KTRDR_PUBLIC_URL') : undefined,
    defaultMode: envChoice(env, 'TRAINING_DEFAULT_MODE', EXECUTION_MODES) ?? 'auto',
    healthTimeoutMs: envMilliseconds(env, 'KTRDR_HOST_HEALTH_TIMEOUT_MS'),
    healthIntervalMs: envMilliseconds(env, 'KTRDR_HOST_HEALTH_INTERVAL_MS'),
    run,
    redisUrl: envText(env, 'KTRDR_REDIS_URL'),
  };
}

/** `KTRDR_HOST_TOKEN`: the secret shared by a backend and its hosts (each side reads its own). */
export function hostTokenFromEnv(env: Environment = process.env): string | undefined {
  return envText(env, 'KTRDR_HOST_TOKEN');
}
