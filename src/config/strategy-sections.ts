import { z } from 'zod';
import { compareTimeframes } from '../data/timeframe.js';
import { parseRangeBound } from '../data/timestamp.js';
import { membershipProblem, type Membership } from '../fuzzy/membership.js';
import { renameParamAliases } from '../indicators/types.js';
import { describeValue, formatPath, strategyErrorMap, zodProblems, type PathSegment, type StrategyProblem } from './problems.js';
import {
  FuzzySetEntrySchema,
  ID_PATTERN,
  IndicatorEntrySchema,
  MembershipFullSchema,
  NnInputSchema,
  RESERVED_INDICATOR_IDS,
  SECTION_SCHEMAS,
  TrainingDataSchema,
} from './strategy.schema.js';
import {
  inputFeatureIds,
  type IndicatorCatalog,
  type StrategyFuzzyInput,
  type StrategyFuzzySet,
  type StrategyIndicator,
  type StrategyNnInput,
  type StrategyRawInput,
  type StrategyTrainingData,
} from './strategy-types.js';

/**
 * Parsing and validation. Every problem is collected (each section and each map entry is checked on its own, so one
 * bad entry does not hide the others), then reported together.
 */

export type Sections = typeof SECTION_SCHEMAS;
export type SectionKey = keyof Sections;
export type Parsed<K extends SectionKey> = z.output<Sections[K]>;

export const SECTION_KEYS = Object.keys(SECTION_SCHEMAS) as SectionKey[];

/**
 * Indicators whose values at a bar depend on later bars. ZigZag is the label teacher: as a feature it would hand the
 * network the answer, and every metric would look great until live use.
 */
const LOOK_AHEAD_TYPES: ReadonlySet<string> = new Set(['zigzag']);

export class ProblemList {
  readonly errors: StrategyProblem[] = [];
  readonly warnings: StrategyProblem[] = [];

  add(path: readonly PathSegment[], message: string): void {
    this.errors.push({ path: formatPath(path), message });
  }

  addAll(problems: readonly StrategyProblem[]): void {
    this.errors.push(...problems);
  }

  warn(path: readonly PathSegment[], message: string): void {
    this.warnings.push({ path: formatPath(path), message });
  }
}

export function isMapping(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function list(values: Iterable<string>): string {
  const items = [...values];
  return items.length > 0 ? items.join(', ') : 'none';
}

function parseWith<T extends z.ZodType>(schema: T, value: unknown, path: readonly PathSegment[], problems: ProblemList): z.output<T> | undefined {
  const result = schema.safeParse(value, { error: strategyErrorMap });
  if (result.success) return result.data;
  problems.addAll(zodProblems(result.error, path));
  return undefined;
}

export function parseSection<K extends SectionKey>(key: K, raw: Record<string, unknown>, problems: ProblemList): Parsed<K> | undefined {
  return parseWith(SECTION_SCHEMAS[key], raw[key], [key], problems) as Parsed<K> | undefined;
}

export function checkTrainingData(raw: Record<string, unknown>, problems: ProblemList): StrategyTrainingData | undefined {
  const data = parseSection('training_data', raw, problems);
  if (!data) return undefined;
  let ok = true;
  const seenSymbols = new Set<string>();
  data.symbols.forEach((symbol, i) => {
    if (seenSymbols.has(symbol)) {
      problems.add(['training_data', 'symbols', i], `duplicate symbol '${symbol}'`);
      ok = false;
    }
    seenSymbols.add(symbol);
  });
  const seen = new Set<string>();
  data.timeframes.forEach((timeframe, i) => {
    if (seen.has(timeframe)) {
      problems.add(['training_data', 'timeframes', i], `duplicate timeframe '${timeframe}'`);
      ok = false;
    }
    seen.add(timeframe);
  });
  if (data.base_timeframe !== undefined && !seen.has(data.base_timeframe)) {
    problems.add(['training_data', 'base_timeframe'], `'${data.base_timeframe}' is not in training_data.timeframes (${list(data.timeframes)})`);
    ok = false;
  }
  if (
    data.start_date !== undefined &&
    data.end_date !== undefined &&
    parseRangeBound(data.start_date, 'start') > parseRangeBound(data.end_date, 'end')
  ) {
    problems.add(['training_data', 'end_date'], `'${data.end_date}' is before start_date '${data.start_date}'`);
    ok = false;
  }
  if (!ok) return undefined;
  const byFrequency = [...data.timeframes].sort(compareTimeframes);
  return {
    symbols: data.symbols,
    timeframes: data.timeframes,
    baseTimeframe: data.base_timeframe ?? byFrequency[0],
    ...(data.start_date !== undefined && { startDate: data.start_date }),
    ...(data.end_date !== undefined && { endDate: data.end_date }),
    ...(data.history_required !== undefined && { historyRequired: data.history_required }),
  };
}

/** Training timeframes for nn_inputs checks, even when another part of training_data is broken. */
export function declaredTimeframes(raw: Record<string, unknown>, trainingData: StrategyTrainingData | undefined): readonly string[] | undefined {
  if (trainingData) return trainingData.timeframes;
  if (!isMapping(raw.training_data)) return undefined;
  const result = TrainingDataSchema.shape.timeframes.safeParse(raw.training_data.timeframes);
  return result.success ? [...new Set(result.data)] : undefined;
}

/** Checks a mapping section's outer shape; entries are checked one by one by the caller. */
function mappingSection(
  key: 'indicators' | 'fuzzy_sets',
  what: string,
  raw: Record<string, unknown>,
  problems: ProblemList,
): Record<string, unknown> | undefined {
  const value = raw[key];
  if (value === undefined) {
    problems.add([key], `required (a mapping of ${what} id to its definition)`);
    return undefined;
  }
  if (!isMapping(value)) {
    problems.add([key], `expected a mapping of ${what} id to its definition, got ${describeValue(value)}`);
    return undefined;
  }
  if (Object.keys(value).length === 0) {
    problems.add([key], `needs at least one ${what}`);
    return undefined;
  }
  return value;
}

function checkId(path: readonly PathSegment[], id: string, what: string, problems: ProblemList): boolean {
  if (ID_PATTERN.test(id) && id.length <= 64) return true;
  problems.add(path, `invalid ${what} '${id}': must start with a letter and contain only letters, digits, _ and - (at most 64 characters)`);
  return false;
}

interface IndicatorCheck {
  /** Every id the file declares, valid or not, so references to a broken indicator are not reported twice. */
  readonly declared: readonly string[];
  readonly resolved: Map<string, StrategyIndicator>;
}

export function checkIndicators(raw: Record<string, unknown>, catalog: IndicatorCatalog, problems: ProblemList): IndicatorCheck | undefined {
  const section = mappingSection('indicators', 'indicator', raw, problems);
  if (!section) return undefined;
  const resolved = new Map<string, StrategyIndicator>();
  for (const [id, value] of Object.entries(section)) {
    const path = ['indicators', id];
    let ok = checkId(path, id, 'indicator id', problems);
    if ((RESERVED_INDICATOR_IDS as readonly string[]).includes(id.toLowerCase())) {
      problems.add(path, `'${id}' is reserved for a price column; choose another id (e.g. ${id}_sma_20)`);
      ok = false;
    }
    const entry = parseWith(IndicatorEntrySchema, value, path, problems);
    if (!entry) continue;
    const { type, ...rawParams } = entry;
    const definition = catalog.find(type);
    if (!definition) {
      const available = catalog.list().map((d) => d.type);
      problems.add(
        [...path, 'type'],
        `unknown indicator type '${type}' (available: ${available.length > 0 ? available.join(', ') : 'none registered'})`,
      );
      continue;
    }
    if (LOOK_AHEAD_TYPES.has(definition.type)) {
      problems.add([...path, 'type'], `'${definition.type}' uses future bars (it is what the labels are made from), so it cannot be a feature`);
      continue;
    }
    const params = parseWith(definition.params, renameParamAliases(definition, rawParams), path, problems);
    if (!params || !ok) continue;
    resolved.set(id, { id, type: definition.type, params, outputs: [...definition.outputs] });
  }
  return { declared: Object.keys(section), resolved };
}

function parseMembership(value: unknown, path: readonly PathSegment[], problems: ProblemList): Membership | undefined {
  let membership: Membership | undefined;
  if (Array.isArray(value)) {
    const bad = value.findIndex((v) => typeof v !== 'number' || !Number.isFinite(v));
    if (bad >= 0) {
      problems.add([...path, bad], `expected a finite number, got ${describeValue(value[bad])}`);
      return undefined;
    }
    const numbers = value as number[];
    if (numbers.length === 3) membership = { type: 'triangular', a: numbers[0], b: numbers[1], c: numbers[2] };
    else if (numbers.length === 4) membership = { type: 'trapezoidal', a: numbers[0], b: numbers[1], c: numbers[2], d: numbers[3] };
    else {
      problems.add(path, `a list takes 3 numbers (triangular [a, b, c]) or 4 (trapezoidal [a, b, c, d]); got ${numbers.length}`);
      return undefined;
    }
  } else if (isMapping(value)) {
    const full = parseWith(MembershipFullSchema, value, path, problems);
    if (!full) return undefined;
    if (full.type === 'gaussian') membership = { type: 'gaussian', mean: full.mean, sigma: full.sigma };
    else if (full.type === 'triangular') membership = { type: 'triangular', a: full.parameters[0], b: full.parameters[1], c: full.parameters[2] };
    else membership = { type: 'trapezoidal', a: full.parameters[0], b: full.parameters[1], c: full.parameters[2], d: full.parameters[3] };
  } else {
    problems.add(
      path,
      `expected a membership: [a, b, c] (triangular), [a, b, c, d] (trapezoidal), or {type: triangular|trapezoidal, parameters: [...]} / {type: gaussian, mean, sigma}; got ${describeValue(value)}`,
    );
    return undefined;
  }
  const problem = membershipProblem(membership);
  if (problem) {
    problems.add(path, problem);
    return undefined;
  }
  return membership;
}

/** Resolves `id` / `id.output` against the indicators; undefined (and a problem) when it does not resolve. */
function resolveIndicatorRef(
  ref: string,
  path: readonly PathSegment[],
  indicators: IndicatorCheck,
  problems: ProblemList,
): { indicatorId: string; output: string } | undefined {
  const dot = ref.indexOf('.');
  const indicatorId = dot < 0 ? ref : ref.slice(0, dot);
  const output = dot < 0 ? undefined : ref.slice(dot + 1);
  if (!indicators.declared.includes(indicatorId)) {
    problems.add(path, `unknown indicator '${indicatorId}' (defined: ${list(indicators.declared)})`);
    return undefined;
  }
  const indicator = indicators.resolved.get(indicatorId);
  if (!indicator) return undefined; // its own definition is broken and already reported
  if (output === undefined) return { indicatorId, output: indicator.outputs[0] };
  if (indicator.outputs.length === 1) {
    problems.add(path, `${indicatorId} has one output; remove '.${output}'`);
    return undefined;
  }
  if (!indicator.outputs.includes(output)) {
    problems.add(path, `'${ref}' is not an output of ${indicator.type} (outputs: ${indicator.outputs.join(', ')})`);
    return undefined;
  }
  return { indicatorId, output };
}

interface FuzzySetCheck {
  readonly declared: readonly string[];
  readonly resolved: Map<string, StrategyFuzzySet>;
}

export function checkFuzzySets(
  raw: Record<string, unknown>,
  indicators: IndicatorCheck | undefined,
  problems: ProblemList,
): FuzzySetCheck | undefined {
  const section = mappingSection('fuzzy_sets', 'fuzzy set', raw, problems);
  if (!section) return undefined;
  const resolved = new Map<string, StrategyFuzzySet>();
  for (const [id, value] of Object.entries(section)) {
    const path = ['fuzzy_sets', id];
    let ok = checkId(path, id, 'fuzzy set id', problems);
    const entry = parseWith(FuzzySetEntrySchema, value, path, problems);
    if (!entry) continue;
    const { indicator, ...rawMemberships } = entry;
    const ref = indicators ? resolveIndicatorRef(indicator, [...path, 'indicator'], indicators, problems) : undefined;
    const names = Object.keys(rawMemberships);
    if (names.length === 0) {
      problems.add(path, 'has no memberships; add at least one, e.g. low: [0, 20, 40]');
      continue;
    }
    const memberships: { name: string; membership: Membership }[] = [];
    for (const name of names) {
      const membershipPath = [...path, name];
      if (!checkId(membershipPath, name, 'membership name', problems)) {
        ok = false;
        continue;
      }
      const membership = parseMembership(rawMemberships[name], membershipPath, problems);
      if (membership) memberships.push({ name, membership });
      else ok = false;
    }
    if (ok && ref) resolved.set(id, { id, indicator, memberships, ...ref });
  }
  return { declared: Object.keys(section), resolved };
}

export function checkNnInputs(
  raw: Record<string, unknown>,
  timeframes: readonly string[] | undefined,
  indicators: IndicatorCheck | undefined,
  fuzzySets: FuzzySetCheck | undefined,
  problems: ProblemList,
): StrategyNnInput[] | undefined {
  const value = raw.nn_inputs;
  if (value === undefined) {
    problems.add(['nn_inputs'], 'required (a list of {fuzzy_set, timeframes} or {raw_indicator, timeframes, normalization})');
    return undefined;
  }
  if (!Array.isArray(value) || value.length === 0) {
    problems.add(
      ['nn_inputs'],
      Array.isArray(value) ? 'needs at least 1 item' : `expected a list of {fuzzy_set, timeframes}, got ${describeValue(value)}`,
    );
    return undefined;
  }
  const inputs: StrategyNnInput[] = [];
  let ok = true;
  value.forEach((item, i) => {
    const path = ['nn_inputs', i];
    const entry = parseWith(NnInputSchema, item, path, problems);
    const input = entry && checkNnInput(entry, path, indicators, fuzzySets, problems);
    const resolved = entry && resolveInputTimeframes(entry.timeframes, [...path, 'timeframes'], timeframes, problems);
    if (!input || !resolved) ok = false;
    else inputs.push({ ...input, timeframes: resolved });
  });
  return ok ? inputs : undefined;
}

type NnInputEntry = z.output<typeof NnInputSchema>;

/** The source of one entry: exactly one of fuzzy_set / raw_indicator, and normalization only with the latter. */
function checkNnInput(
  entry: NnInputEntry,
  path: readonly PathSegment[],
  indicators: IndicatorCheck | undefined,
  fuzzySets: FuzzySetCheck | undefined,
  problems: ProblemList,
): Omit<StrategyFuzzyInput, 'timeframes'> | Omit<StrategyRawInput, 'timeframes'> | undefined {
  if (entry.fuzzy_set !== undefined && entry.raw_indicator !== undefined) {
    problems.add(path, 'specify either fuzzy_set or raw_indicator, not both');
    return undefined;
  }
  if (entry.fuzzy_set !== undefined) {
    if (entry.normalization !== undefined) {
      problems.add([...path, 'normalization'], 'only valid with raw_indicator (fuzzy memberships are already in [0, 1])');
      return undefined;
    }
    if (fuzzySets && !fuzzySets.declared.includes(entry.fuzzy_set)) {
      problems.add([...path, 'fuzzy_set'], `unknown fuzzy set '${entry.fuzzy_set}' (defined: ${list(fuzzySets.declared)})`);
      return undefined;
    }
    return { fuzzySet: entry.fuzzy_set };
  }
  if (entry.raw_indicator === undefined) {
    problems.add(path, 'must specify either fuzzy_set or raw_indicator');
    return undefined;
  }
  const ref = indicators && resolveIndicatorRef(entry.raw_indicator, [...path, 'raw_indicator'], indicators, problems);
  if (!ref) return undefined;
  return { rawIndicator: entry.raw_indicator, ...ref, normalization: entry.normalization ?? 'none' };
}

function resolveInputTimeframes(
  value: unknown,
  path: readonly PathSegment[],
  timeframes: readonly string[] | undefined,
  problems: ProblemList,
): string[] | undefined {
  const expected = `'all' or a list of timeframes from training_data.timeframes (${list(timeframes ?? [])})`;
  if (value === undefined || value === 'all') return timeframes ? [...timeframes] : undefined;
  if (!Array.isArray(value)) {
    problems.add(path, `must be ${expected}; got ${describeValue(value)}`);
    return undefined;
  }
  if (value.length === 0) {
    problems.add(path, `needs at least 1 item (or 'all')`);
    return undefined;
  }
  let ok = true;
  const seen = new Set<string>();
  value.forEach((timeframe: unknown, i) => {
    if (typeof timeframe !== 'string') {
      problems.add([...path, i], `expected a timeframe string, got ${describeValue(timeframe)}`);
      ok = false;
    } else if (seen.has(timeframe)) {
      problems.add([...path, i], `duplicate timeframe '${timeframe}'`);
      ok = false;
    } else if (timeframes && !timeframes.includes(timeframe)) {
      problems.add([...path, i], `timeframe '${timeframe}' is not in training_data.timeframes (${list(timeframes)})`);
      ok = false;
    }
    if (typeof timeframe === 'string') seen.add(timeframe);
  });
  return ok && timeframes ? (value as string[]) : undefined;
}

export function checkFeatureCollisions(fuzzySets: readonly StrategyFuzzySet[], inputs: readonly StrategyNnInput[], problems: ProblemList): void {
  const sets = new Map(fuzzySets.map((set) => [set.id, set]));
  const producedBy = new Map<string, number>();
  inputs.forEach((input, i) => {
    if ('fuzzySet' in input && !sets.has(input.fuzzySet)) return;
    for (const id of inputFeatureIds(input, sets)) {
      const earlier = producedBy.get(id);
      if (earlier !== undefined) {
        problems.add(['nn_inputs', i], `feature '${id}' is also produced by nn_inputs[${earlier}]; each feature may appear once`);
        return;
      }
      producedBy.set(id, i);
    }
  });
}

export function checkDataSplit(training: Parsed<'training'>, problems: ProblemList): void {
  const { train, validation, test } = training.data_split;
  const sum = train + validation + test;
  if (Math.abs(sum - 1) > 1e-9) {
    problems.add(
      ['training', 'data_split'],
      `train + validation + test must sum to 1, got ${train} + ${validation} + ${test} = ${Number(sum.toFixed(12))}`,
    );
  }
}

export function collectWarnings(
  indicators: readonly StrategyIndicator[],
  fuzzySets: readonly StrategyFuzzySet[],
  inputs: readonly StrategyNnInput[],
  problems: ProblemList,
): void {
  const usedIndicators = new Set(fuzzySets.map((set) => set.indicatorId));
  for (const input of inputs) if (!('fuzzySet' in input)) usedIndicators.add(input.indicatorId);
  for (const indicator of indicators) {
    if (!usedIndicators.has(indicator.id)) problems.warn(['indicators', indicator.id], 'not used by any fuzzy set or raw_indicator input');
  }
  const usedSets = new Set(inputs.flatMap((input) => ('fuzzySet' in input ? [input.fuzzySet] : [])));
  for (const set of fuzzySets) {
    if (!usedSets.has(set.id)) problems.warn(['fuzzy_sets', set.id], 'not used by any nn_inputs entry, so it adds no features');
  }
}
