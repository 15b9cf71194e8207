import { resolve } from 'node:path';
import { envChoice, envInteger, envMilliseconds, envText, type Environment } from './environment.js';

/**
 * Application settings from the environment. Built on demand and passed down; there is no module-level singleton,
 * so tests and the host service can hold different settings side by side.
 */
export interface Settings {
  /** OHLCV CSV files `{SYMBOL}_{TIMEFRAME}.csv`. Env `KTRDR_DATA_DIR`. @defaultValue `./data` */
  readonly dataDir: string;
  /** Strategy YAML files. Env `KTRDR_STRATEGIES_DIR`. @defaultValue `./strategies` */
  readonly strategiesDir: string;
  /** Working state (operations database, temp files). Env `KTRDR_HOME`. @defaultValue `./.ktrdr` */
  readonly homeDir: string;
  /** The model store. Env `KTRDR_MODELS_DIR`. @defaultValue `./models` */
  readonly modelsDir: string;
}

/** Reads the settings; relative paths resolve against `cwd`, and empty variables count as unset. */
export function loadSettings(env: Environment = process.env, cwd: string = process.cwd()): Settings {
  const dir = (name: string, fallback: string): string => {
    return resolve(cwd, envText(env, name) ?? fallback);
  };
  return {
    dataDir: dir('KTRDR_DATA_DIR', 'data'),
    strategiesDir: dir('KTRDR_STRATEGIES_DIR', 'strategies'),
    homeDir: dir('KTRDR_HOME', '.ktrdr'),
    modelsDir: dir('KTRDR_MODELS_DIR', 'models'),
  };
}

/**
 * How often the server offers models it could not save (full disk, read-only models directory) to the model store
 * again. Env `KTRDR_SAVE_RETRY_MS`. @defaultValue undefined: the service's own default (30 s)
 */
export function saveRetryMsFromEnv(env: Environment = process.env): number | undefined {
  return envMilliseconds(env, 'KTRDR_SAVE_RETRY_MS');
}

/** How long a dashboard login lasts. Env `KTRDR_SESSION_HOURS` (1..720). @defaultValue undefined: 12 hours */
export function sessionTtlMsFromEnv(env: Environment = process.env): number | undefined {
  const hours = envInteger(env, 'KTRDR_SESSION_HOURS', 1, 720);
  return hours === undefined ? undefined : hours * 3600_000;
}

/**
 * Whether the server resumes, at start-up, the local trainings a previous process left unfinished (from their newest
 * checkpoint) instead of failing them as INTERRUPTED, and a run lost with its training host (HOST_LOST) from the
 * newest checkpoint the host pushed. Env `KTRDR_AUTO_RESUME` (`on`/`off`). @defaultValue on
 */
export function autoResumeFromEnv(env: Environment = process.env): boolean {
  return (envChoice(env, 'KTRDR_AUTO_RESUME', ['on', 'off'] as const) ?? 'on') === 'on';
}
