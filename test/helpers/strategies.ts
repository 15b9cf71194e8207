import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SPX_RSI_STRATEGY } from './training-fixtures.js';

/** The repository's bundled market data (SPX daily among others). */
export const DATA_DIR = new URL('../../data', import.meta.url).pathname;

export interface StrategyOptions {
  readonly epochs?: number;
  /** Early stopping would end a long run on its own; runs meant to be cancelled keep it off. */
  readonly earlyStopping?: boolean;
  /** `training.backend`; unset, the strategy leaves it to `auto`. */
  readonly backend?: string;
}

/**
 * The tiny SPX/RSI strategy of the pipeline tests under another name: ~0.3 s for 4 epochs. With many epochs and
 * early stopping off it runs for minutes (about 3 ms per epoch), long enough to cancel or kill.
 */
export function spxStrategy(name: string, options: StrategyOptions = {}): string {
  const epochs = options.epochs ?? 4;
  const training = options.earlyStopping === false ? `epochs: ${epochs}\n  early_stopping: {enabled: false}` : `epochs: ${epochs}`;
  const backend = options.backend === undefined ? '' : `\n  backend: ${options.backend}`;
  return SPX_RSI_STRATEGY.replace('name: spx_rsi_test', `name: ${name}`).replace('epochs: 4', training + backend);
}

/** Runs for minutes unless cancelled. */
export function longStrategy(name: string): string {
  return spxStrategy(name, { epochs: 50_000, earlyStopping: false });
}

/** Parses, but refers to an indicator and a fuzzy set that do not exist. */
export const INVALID_STRATEGY = `
name: broken
training_data: {symbols: [SPX], timeframes: [1d]}
indicators:
  rsi_14: {type: no_such_indicator, period: 14}
fuzzy_sets:
  rsi_zone: {indicator: missing_indicator, low: [0, 25, 50]}
nn_inputs:
  - fuzzy_set: rsi_zone
model: {hidden_layers: [4]}
`;

export interface TempDirs {
  readonly root: string;
  readonly home: string;
  readonly models: string;
  readonly strategies: string;
  remove(): Promise<void>;
}

/** A temp KTRDR_HOME, models dir and strategies dir holding the given strategy files (`name` → YAML). */
export async function tempDirs(strategies: Record<string, string>): Promise<TempDirs> {
  const root = await mkdtemp(join(tmpdir(), 'ktrdr-exec-'));
  const dirs = { root, home: join(root, 'home'), models: join(root, 'models'), strategies: join(root, 'strategies') };
  await mkdir(dirs.strategies, { recursive: true });
  for (const [name, yaml] of Object.entries(strategies)) await writeFile(join(dirs.strategies, `${name}.yaml`), yaml);
  return { ...dirs, remove: () => rm(root, { recursive: true, force: true }) };
}

/**
 * Polls until `check` returns a value other than undefined. The default bound is generous: it is there to end a test
 * that hangs, not to time a run (speed targets live in the benchmarks), and a loaded 2-core machine is slow.
 */
export async function waitFor<T>(check: () => Promise<T | undefined> | T | undefined, what: string, timeoutMs = 40_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
