import type { z } from 'zod';
import type { OhlcvSeries } from '../data/ohlcv.js';

/**
 * An indicator family: Float64Array columns in, full-length Float64Array outputs out (NaN for warm-up bars).
 * Parameters are validated by `params` (a strict zod object with defaults), so unknown parameter keys are errors.
 */
export interface IndicatorDefinition<P extends Record<string, unknown> = Record<string, unknown>> {
  /** Registry name, lower case, e.g. `rsi`, `macd`, `bbands`. */
  readonly type: string;
  /** Other accepted names (case-insensitive), e.g. `bollingerbands` for `bbands`. */
  readonly aliases?: readonly string[];
  readonly description: string;
  /** Output names, primary first. Single-output indicators have exactly one (named like the type, e.g. `value`). */
  readonly outputs: readonly string[];
  readonly params: z.ZodType<P>;
  /** Builds the canonical column id from parameters, e.g. `rsi_14`, `macd_12_26_9`. */
  defaultId(params: P): string;
  compute(series: OhlcvSeries, params: P): Record<string, Float64Array>;
}
