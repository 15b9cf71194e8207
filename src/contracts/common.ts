import { z } from 'zod';
import { STRATEGY_NAME_PATTERN } from '../config/strategy.schema.js';
import { SYMBOL_PATTERN } from '../data/names.js';
import { TIMEFRAME_PATTERN } from '../data/timeframe.js';
import { parseTimestamp } from '../data/timestamp.js';

/** The one error body of every endpoint: `{"error": {code, message, details?, hint?}}`. */
export const ErrorBodySchema = z
  .object({
    error: z.object({
      code: z.string().describe('Stable code from docs/errors.md'),
      message: z.string(),
      details: z.unknown().optional(),
      hint: z.string().optional(),
    }),
  })
  .meta({ id: 'ErrorBody' });

export const IsoTimestampSchema = z.string().describe('ISO 8601 timestamp, UTC');

/** Strategy names double as file names, so the pattern is what keeps requests inside the strategies directory. */
export const StrategyNameSchema = z.string().max(100).regex(STRATEGY_NAME_PATTERN, 'letters, digits, _ and -, starting with a letter or digit');

export const SymbolSchema = z
  .string()
  .regex(SYMBOL_PATTERN, '1-20 characters from A-Z a-z 0-9 _ . -, starting with a letter or digit')
  .refine((symbol) => !symbol.includes('..'), "must not contain '..'");

export const TimeframeSchema = z.string().regex(TIMEFRAME_PATTERN, 'a number followed by m, h, d or w, e.g. 1h');

const DATE_PATTERN = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}(:?\d{2})?)?)?$/;

/**
 * `YYYY-MM-DD`, optionally with a time and offset (no offset means UTC), as strategy files write dates. Parsed by the
 * same function as strategy dates and data files, so a date accepted here (not 2021-02-30) is one training accepts.
 */
export const DateInputSchema = z
  .string()
  .regex(DATE_PATTERN, 'YYYY-MM-DD, optionally followed by a time such as T12:00:00Z')
  .refine((value) => !Number.isNaN(parseTimestamp(value)), 'not a real date or time');

/** Query parameters arrive as text; these coerce and bound them. */
export function queryInteger(min: number, max: number) {
  return z.coerce.number().int().min(min).max(max);
}
