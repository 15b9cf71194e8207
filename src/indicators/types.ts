import type { z } from 'zod';
import type { OhlcvSeries } from '../data/ohlcv.js';

/**
 * An indicator family: Float64Array columns in, full-length Float64Array outputs out (NaN for warm-up bars).
 * Parameters are validated by `params` (a strict zod object with defaults), so unknown parameter keys are errors.
 *
 * Inputs are finite numbers (the data layer rejects anything else). Leading NaNs in a derived input, such as the
 * warm-up of the MACD line feeding its signal EMA, are skipped the way TTR skips them: the window starts at the first
 * value. An input shorter than the warm-up gives all-NaN outputs rather than an error, so callers decide how many
 * bars are too few (DATA_INSUFFICIENT) with the whole strategy in view.
 */
export interface IndicatorDefinition<P extends Record<string, unknown> = Record<string, unknown>> {
  /** Registry name, lower case, e.g. `rsi`, `macd`, `bbands`. */
  readonly type: string;
  /** Other accepted names (case-insensitive), e.g. `bollingerbands` for `bbands`. */
  readonly aliases?: readonly string[];
  readonly description: string;
  /** Output names, primary first. Single-output indicators have exactly one, named `value`. */
  readonly outputs: readonly string[];
  readonly params: z.ZodType<P>;
  /**
   * The original system's names for parameters that are named differently here (its name → ours), so its strategy
   * files load unchanged, e.g. MACD's `fast_period` for `fast`. Giving both spellings of one parameter is an error.
   */
  readonly paramAliases?: Readonly<Record<string, string>>;
  /**
   * Builds the canonical column id from parameters, e.g. `rsi_14`, `macd_12_26_9`. Fractions are written with `p`
   * for the decimal point (`bbands_20_2p5`) because `.` separates an id from an output name (`macd_12_26_9.signal`).
   */
  defaultId(params: P): string;
  /**
   * Every output, or with `outputs` the ones named there (and possibly others): a family whose outputs each cost a
   * full-length array the caller may not read (bbands, adx, stochastic) leaves the unnamed ones out. An output it
   * returns is the same, bit for bit, whatever `outputs` says.
   */
  compute(series: OhlcvSeries, params: P, outputs?: OutputSelection): Record<string, Float64Array>;
}

/** The outputs a caller of `compute` reads; undefined for all of them. */
export type OutputSelection = ReadonlySet<string> | undefined;

export function isSelected(outputs: OutputSelection, output: string): boolean {
  return outputs === undefined || outputs.has(output);
}

/** The outputs that were computed: `columns` without its undefined entries (the ones not selected). */
export function computedOutputs(columns: Readonly<Record<string, Float64Array | undefined>>): Record<string, Float64Array> {
  const computed: Record<string, Float64Array> = {};
  for (const [output, values] of Object.entries(columns)) if (values !== undefined) computed[output] = values;
  return computed;
}

/**
 * The parameters with the original's names (`paramAliases`) renamed to ours. A parameter given under both names is
 * left as it is, so the strict schema reports the alias as an unknown parameter next to the one it duplicates.
 */
export function renameParamAliases(definition: IndicatorDefinition, raw: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const aliases = definition.paramAliases;
  if (aliases === undefined) return { ...raw };
  const renamed: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(raw)) {
    const target = aliases[key];
    renamed[target !== undefined && !(target in raw) ? target : key] = value;
  }
  return renamed;
}

/**
 * Erases a definition's parameter type so families can share one registry array. The registry only ever passes
 * a definition the output of its own `params` schema, which is what makes the erasure safe.
 */
export function defineIndicator<P extends Record<string, unknown>>(definition: IndicatorDefinition<P>): IndicatorDefinition {
  return definition as unknown as IndicatorDefinition;
}
