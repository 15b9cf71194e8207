import { isMap, isPair, isScalar, isSeq, type Document, type LineCounter } from 'yaml';
import type { z } from 'zod';

/** One validation problem: where (a dotted path such as `fuzzy_sets.rsi_zone.indicator`) and what would be valid. */
export interface StrategyProblem {
  readonly path: string;
  readonly message: string;
  /** 1-based line in the YAML file, when the path (or its nearest existing parent) could be located. */
  readonly line?: number;
}

export type PathSegment = string | number;

/** `training.data_split.train`, `nn_inputs[0].timeframes[1]`. */
export function formatPath(segments: readonly PropertyKey[]): string {
  let out = '';
  for (const segment of segments) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else out += out === '' ? String(segment) : `.${String(segment)}`;
  }
  return out;
}

/** A short human rendering of a YAML value for messages. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'an empty value';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return `'${value.length > 40 ? `${value.slice(0, 40)}…` : value}'`;
  return String(value);
}

function expectedName(expected: unknown): string {
  switch (expected) {
    case 'object':
      return 'a mapping';
    case 'array':
    case 'tuple':
      return 'a list';
    case 'int':
      return 'an integer';
    case 'number':
      return 'a finite number';
    case 'string':
      return 'a string';
    case 'boolean':
      return 'true or false';
    default:
      return String(expected);
  }
}

function formatLiteral(value: unknown): string {
  return typeof value === 'string' ? value : String(value);
}

function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? '' : 's'}`;
}

/** The keys a strict object schema accepts, for "unknown key (allowed: …)" messages. */
function allowedKeys(schema: unknown): string[] {
  if (schema !== null && typeof schema === 'object' && 'shape' in schema) {
    const shape = (schema as { shape: unknown }).shape;
    if (shape !== null && typeof shape === 'object') return Object.keys(shape);
  }
  return [];
}

/**
 * The messages every strategy schema (ours and each indicator's params schema) reports, phrased to say what would be
 * valid. Schema-level custom messages still win over these.
 */
export const strategyErrorMap: z.core.$ZodErrorMap = (issue) => {
  switch (issue.code) {
    case 'invalid_type':
      if (issue.input === undefined) return `required (${expectedName(issue.expected)})`;
      return `expected ${expectedName(issue.expected)}, got ${describeValue(issue.input)}`;
    case 'too_small': {
      const { minimum, inclusive, origin } = issue;
      if (origin === 'array') return `needs at least ${plural(Number(minimum), 'item')}`;
      if (origin === 'string') return Number(minimum) === 1 ? 'must not be empty' : `needs at least ${plural(Number(minimum), 'character')}`;
      return `must be ${inclusive ? '>=' : '>'} ${String(minimum)}, got ${describeValue(issue.input)}`;
    }
    case 'too_big': {
      const { maximum, inclusive, origin } = issue;
      if (origin === 'array') return `allows at most ${plural(Number(maximum), 'item')}`;
      if (origin === 'string') return `allows at most ${plural(Number(maximum), 'character')}`;
      return `must be ${inclusive ? '<=' : '<'} ${String(maximum)}, got ${describeValue(issue.input)}`;
    }
    case 'invalid_value': {
      const values = issue.values.map(formatLiteral);
      const got = describeValue(issue.input);
      return values.length === 1 ? `must be ${values[0]}, got ${got}` : `must be one of ${values.join(', ')}; got ${got}`;
    }
    case 'unrecognized_keys': {
      const allowed = allowedKeys(issue.inst);
      return allowed.length > 0 ? `unknown key (allowed: ${allowed.join(', ')})` : 'unknown key (no keys allowed here)';
    }
    case 'not_multiple_of':
      return `must be a multiple of ${String(issue.divisor)}`;
    // zod's own message says these well enough (or a schema's custom message does).
    case 'custom':
    case 'invalid_element':
    case 'invalid_format':
    case 'invalid_key':
    case 'invalid_union':
      return undefined;
  }
};

/** Flattens a zod error into problems under `prefix`; an unknown-keys issue becomes one problem per key. */
export function zodProblems(error: z.ZodError, prefix: readonly PathSegment[]): StrategyProblem[] {
  const problems: StrategyProblem[] = [];
  for (const issue of error.issues) {
    const base = [...prefix, ...(issue.path as PathSegment[])];
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) problems.push({ path: formatPath([...base, key]), message: issue.message });
    } else {
      problems.push({ path: formatPath(base), message: issue.message });
    }
  }
  return problems;
}

/** Parses a path made by `formatPath` back into segments. */
export function parsePath(path: string): PathSegment[] {
  const segments: PathSegment[] = [];
  for (const match of path.matchAll(/([^.[\]]+)|\[(\d+)\]/g)) {
    segments.push(match[2] !== undefined ? Number(match[2]) : match[1]);
  }
  return segments;
}

/**
 * The 1-based line of a path in a parsed YAML document: the key's line for mapping entries, the item's line for list
 * items, or the nearest existing parent's line when the path does not exist (a missing required key).
 */
export function lineOfPath(doc: Document, lineCounter: LineCounter, path: readonly PathSegment[]): number | undefined {
  let node: unknown = doc.contents;
  let offset: number | undefined = isScalar(node) || isMap(node) || isSeq(node) ? node.range?.[0] : undefined;
  for (const segment of path) {
    if (isMap(node)) {
      const pair = node.items.find((item) => isPair(item) && isScalar(item.key) && String(item.key.value) === String(segment));
      if (!pair) break;
      if (isScalar(pair.key) && pair.key.range) offset = pair.key.range[0];
      node = pair.value;
    } else if (isSeq(node) && typeof segment === 'number') {
      const item = node.items[segment];
      if (item === undefined) break;
      if ((isScalar(item) || isMap(item) || isSeq(item)) && item.range) offset = item.range[0];
      node = item;
    } else {
      break;
    }
  }
  return offset === undefined ? undefined : lineCounter.linePos(offset).line;
}
