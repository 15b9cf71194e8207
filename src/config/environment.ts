import { KtrdrError } from '../errors.js';

/** The process environment as settings read it; tests pass their own. */
export type Environment = Readonly<Record<string, string | undefined>>;

/** A variable's text, trimmed; unset and blank are the same (undefined). */
export function envText(env: Environment, name: string): string | undefined {
  return env[name]?.trim() || undefined;
}

/**
 * A whole number from `min` to `max`, or undefined when unset. Anything else fails start-up naming the variable,
 * instead of silently meaning something else.
 */
export function envInteger(env: Environment, name: string, min: number, max: number, what = `an integer from ${min} to ${max}`): number | undefined {
  const raw = envText(env, name);
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(value) || value < min || value > max) {
    throw new KtrdrError('VALIDATION_FAILED', `${name} must be ${what}, got '${raw}'`);
  }
  return value;
}

/** Milliseconds from 1 ms to one day. */
export function envMilliseconds(env: Environment, name: string): number | undefined {
  return envInteger(env, name, 1, 24 * 3600_000, 'a whole number of milliseconds (1..86400000)');
}

/** One of `choices`, or undefined when unset. */
export function envChoice<T extends string>(env: Environment, name: string, choices: readonly T[]): T | undefined {
  const raw = envText(env, name);
  if (raw === undefined) return undefined;
  if (!(choices as readonly string[]).includes(raw))
    throw new KtrdrError('VALIDATION_FAILED', `${name} must be one of ${choices.join(', ')}, got '${raw}'`);
  return raw as T;
}
