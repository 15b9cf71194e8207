import type { OhlcvSeries } from '../data/ohlcv.js';
import { KtrdrError } from '../errors.js';
import { parseIndicatorParams, requireIndicator } from './registry.js';
import type { IndicatorDefinition } from './types.js';

/**
 * An indicator request as written by a user: a type (or alias) and raw, not yet validated, parameters (from
 * parseIndicatorSpec, or a strategy file's indicator entry without its `type` key).
 */
export interface IndicatorSpec {
  readonly type: string;
  readonly params: Readonly<Record<string, unknown>>;
}

export interface IndicatorColumn {
  /** `rsi_14` for a single-output indicator, `macd_12_26_9.line` (defaultId + '.' + output) for a multi-output one. */
  readonly name: string;
  readonly values: Float64Array;
}

export interface ResolvedIndicator {
  readonly definition: IndicatorDefinition;
  /** Validated parameters with defaults filled in. */
  readonly params: Record<string, unknown>;
  readonly id: string;
  /** Column names in output order (primary first). */
  readonly columns: readonly string[];
}

const NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)(e[+-]?\d+)?$/i;

/**
 * Parses `rsi`, `rsi:period=14` or `macd:fast=12,slow=26,signal=9`. Values that look like numbers become numbers,
 * `true`/`false` become booleans (`adline:use_sma_smoothing=true`), anything else stays a string (`source=high`).
 * Only the syntax is checked here; the type and parameter values are checked against the registry when the spec is
 * resolved.
 */
export function parseIndicatorSpec(text: string): IndicatorSpec {
  const colon = text.indexOf(':');
  const type = (colon < 0 ? text : text.slice(0, colon)).trim().toLowerCase();
  if (type === '') throw malformed(text, 'the indicator type is missing');
  const params: Record<string, number | string | boolean> = {};
  if (colon >= 0) {
    const body = text.slice(colon + 1).trim();
    if (body === '') throw malformed(text, "nothing follows ':'");
    for (const pair of body.split(',')) {
      const eq = pair.indexOf('=');
      const key = (eq < 0 ? pair : pair.slice(0, eq)).trim();
      const value = eq < 0 ? '' : pair.slice(eq + 1).trim();
      if (eq < 0 || key === '' || value === '') throw malformed(text, `'${pair.trim()}' is not key=value`);
      if (Object.prototype.hasOwnProperty.call(params, key)) throw malformed(text, `'${key}' is given twice`);
      params[key] = NUMBER.test(value) ? Number(value) : parseWord(value);
    }
  }
  return { type, params };
}

function parseWord(value: string): string | boolean {
  if (value === 'true') return true;
  if (value === 'false') return false;
  return value;
}

function malformed(text: string, reason: string): KtrdrError {
  return new KtrdrError('VALIDATION_FAILED', `Malformed indicator spec '${text}': ${reason}`, {
    details: { spec: text },
    hint: 'Write type[:key=value,...], e.g. rsi:period=14 or macd:fast=12,slow=26,signal=9',
  });
}

/** Looks the type up, validates the parameters and names the columns; throws INDICATOR_UNKNOWN / _PARAMS_INVALID. */
export function resolveIndicatorSpec(spec: IndicatorSpec): ResolvedIndicator {
  const definition = requireIndicator(spec.type);
  const params = parseIndicatorParams(definition, spec.params);
  const id = definition.defaultId(params);
  const columns = definition.outputs.length === 1 ? [id] : definition.outputs.map((output) => `${id}.${output}`);
  return { definition, params, id, columns };
}

/**
 * Computes every spec on the series, in spec order, as named columns. Specs that resolve to the same id (say `rsi`
 * and `rsi:period=14`) are computed once: the columns would be identical.
 */
export function computeIndicatorColumns(series: OhlcvSeries, specs: readonly IndicatorSpec[]): IndicatorColumn[] {
  const resolved = specs.map(resolveIndicatorSpec);
  const seen = new Set<string>();
  const columns: IndicatorColumn[] = [];
  for (const { definition, params, id, columns: names } of resolved) {
    if (seen.has(id)) continue;
    seen.add(id);
    const outputs = definition.compute(series, params);
    definition.outputs.forEach((output, k) => columns.push({ name: names[k], values: outputs[output] }));
  }
  return columns;
}
