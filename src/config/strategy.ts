import { createHash } from 'node:crypto';
import { LineCounter, parseDocument } from 'yaml';
import { z } from 'zod';
import { KtrdrError } from '../errors.js';
import { compareTimeframes } from '../data/timeframe.js';
import { parseRangeBound } from '../data/timestamp.js';
import type { FuzzySetDefinition } from '../fuzzy/fuzzy-set.js';
import { membershipProblem, type Membership } from '../fuzzy/membership.js';
import { findIndicator, listIndicators } from '../indicators/registry.js';
import type { IndicatorDefinition } from '../indicators/types.js';
import {
  describeValue,
  formatPath,
  lineOfPath,
  parsePath,
  strategyErrorMap,
  zodProblems,
  type PathSegment,
  type StrategyProblem,
} from './problems.js';
import {
  FuzzySetEntrySchema,
  ID_PATTERN,
  IndicatorEntrySchema,
  MembershipFullSchema,
  NnInputSchema,
  RESERVED_INDICATOR_IDS,
  SECTION_SCHEMAS,
  TrainingDataSchema,
  type Activation,
} from './strategy.schema.js';

export type { StrategyProblem } from './problems.js';

// ---------------------------------------------------------------------------------------------------------------
// The normalised, typed strategy every later stage consumes.
// ---------------------------------------------------------------------------------------------------------------

export interface StrategyIndicator {
  /** The id from the file, e.g. `rsi_14`. */
  readonly id: string;
  /** Canonical registry name (lower case, aliases resolved), e.g. `bbands`. */
  readonly type: string;
  /** Parsed by the indicator's own schema: validated, defaults filled. */
  readonly params: Readonly<Record<string, unknown>>;
  /** Output names, primary first. */
  readonly outputs: readonly string[];
}

export interface StrategyFuzzySet extends FuzzySetDefinition {
  /** The indicator this set reads. */
  readonly indicatorId: string;
  /** The output it reads; always explicit (the primary output when the file named only the indicator). */
  readonly output: string;
}

export interface StrategyNnInput {
  readonly fuzzySet: string;
  /** Explicit list (`all` resolved to training_data.timeframes, in that order). */
  readonly timeframes: readonly string[];
}

export interface StrategyTrainingData {
  readonly symbols: readonly string[];
  /** In file order. */
  readonly timeframes: readonly string[];
  /** Always set: the file's value, or the highest-frequency timeframe. */
  readonly baseTimeframe: string;
  /** ISO date or date-time as written; inclusive (see `parseRangeBound`). */
  readonly startDate?: string;
  readonly endDate?: string;
  readonly historyRequired?: number;
}

export interface StrategyModel {
  readonly type: 'mlp';
  readonly hiddenLayers: readonly number[];
  readonly activation: Activation;
  readonly dropout: number;
}

export interface StrategyDecisions {
  readonly outputFormat: 'classification';
  readonly confidenceThreshold?: number;
}

/** Class order everywhere: [buy, hold, sell]. */
export type ClassWeights = 'auto' | 'none' | readonly [number, number, number];

export interface StrategyTraining {
  readonly epochs: number;
  readonly batchSize: number;
  readonly learningRate: number;
  readonly weightDecay: number;
  readonly earlyStopping: { readonly enabled: boolean; readonly patience: number; readonly minDelta: number };
  /** 0 = no clipping. */
  readonly gradientClip: number;
  readonly classWeights: ClassWeights;
  readonly seed: number;
  readonly dataSplit: { readonly train: number; readonly validation: number; readonly test: number };
  readonly labels: { readonly source: 'zigzag'; readonly zigzagThreshold: number; readonly price: 'close' | 'high_low' };
}

export interface StrategySource {
  /** The YAML exactly as read; the model store snapshots it. */
  readonly text: string;
  /** sha256 (hex) of `text` as UTF-8. */
  readonly sha256: string;
  /** Where it came from: a file path, or a label such as `<request>`. */
  readonly file: string;
}

export interface Strategy {
  readonly name: string;
  readonly version: string;
  readonly description: string;
  readonly trainingData: StrategyTrainingData;
  /** In file order. */
  readonly indicators: readonly StrategyIndicator[];
  /** In file order. */
  readonly fuzzySets: readonly StrategyFuzzySet[];
  /** In file order; this order defines the feature order. */
  readonly nnInputs: readonly StrategyNnInput[];
  readonly model: StrategyModel;
  readonly decisions: StrategyDecisions;
  readonly training: StrategyTraining;
  readonly source: StrategySource;
  /** Things that are allowed but probably unintended (an indicator no fuzzy set reads, a fuzzy set no input uses). */
  readonly warnings: readonly StrategyProblem[];
}

/** Where indicator definitions come from; the registry by default, replaceable in tests. */
export interface IndicatorCatalog {
  find(type: string): IndicatorDefinition | undefined;
  list(): readonly IndicatorDefinition[];
}

export const registryCatalog: IndicatorCatalog = { find: findIndicator, list: listIndicators };

export interface ParseStrategyOptions {
  readonly indicators?: IndicatorCatalog;
  /**
   * The name the file is known by (its file name without extension). A different `name:` inside is allowed but
   * warned about: models are stored under the inner name, so `train foo` would produce models named something else.
   */
  readonly expectedName?: string;
}

/**
 * Feature ids in feature-vector order: for each nn_inputs entry, for each of its timeframes, each membership of its
 * fuzzy set in file order — `{timeframe}_{fuzzy_set}_{membership}`, e.g. `1h_rsi_zone_oversold`.
 */
export function featureIds(strategy: Pick<Strategy, 'fuzzySets' | 'nnInputs'>): string[] {
  const sets = new Map(strategy.fuzzySets.map((set) => [set.id, set]));
  const ids: string[] = [];
  for (const input of strategy.nnInputs) {
    const set = sets.get(input.fuzzySet);
    if (!set) throw new Error(`nn input references unknown fuzzy set '${input.fuzzySet}'`);
    for (const timeframe of input.timeframes) {
      for (const { name } of set.memberships) ids.push(`${timeframe}_${set.id}_${name}`);
    }
  }
  return ids;
}

// ---------------------------------------------------------------------------------------------------------------
// Parsing and validation. Every problem is collected (each section and each map entry is checked on its own, so one
// bad entry does not hide the others), then reported together.
// ---------------------------------------------------------------------------------------------------------------

type Sections = typeof SECTION_SCHEMAS;
type SectionKey = keyof Sections;
type Parsed<K extends SectionKey> = z.output<Sections[K]>;

const SECTION_KEYS = Object.keys(SECTION_SCHEMAS) as SectionKey[];

/**
 * Indicators whose values at a bar depend on later bars. ZigZag is the label teacher: as a feature it would hand the
 * network the answer, and every metric would look great until live use.
 */
const LOOK_AHEAD_TYPES: ReadonlySet<string> = new Set(['zigzag']);

class ProblemList {
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

function isMapping(value: unknown): value is Record<string, unknown> {
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

function parseSection<K extends SectionKey>(key: K, raw: Record<string, unknown>, problems: ProblemList): Parsed<K> | undefined {
  return parseWith(SECTION_SCHEMAS[key], raw[key], [key], problems) as Parsed<K> | undefined;
}

function checkTrainingData(raw: Record<string, unknown>, problems: ProblemList): StrategyTrainingData | undefined {
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
  if (data.start_date !== undefined && data.end_date !== undefined && parseRangeBound(data.start_date, 'start') > parseRangeBound(data.end_date, 'end')) {
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
function declaredTimeframes(raw: Record<string, unknown>, trainingData: StrategyTrainingData | undefined): readonly string[] | undefined {
  if (trainingData) return trainingData.timeframes;
  if (!isMapping(raw.training_data)) return undefined;
  const result = TrainingDataSchema.shape.timeframes.safeParse(raw.training_data.timeframes);
  return result.success ? [...new Set(result.data)] : undefined;
}

/** Checks a mapping section's outer shape; entries are checked one by one by the caller. */
function mappingSection(key: 'indicators' | 'fuzzy_sets', what: string, raw: Record<string, unknown>, problems: ProblemList): Record<string, unknown> | undefined {
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

function checkIndicators(raw: Record<string, unknown>, catalog: IndicatorCatalog, problems: ProblemList): IndicatorCheck | undefined {
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
      problems.add([...path, 'type'], `unknown indicator type '${type}' (available: ${available.length > 0 ? available.join(', ') : 'none registered'})`);
      continue;
    }
    if (LOOK_AHEAD_TYPES.has(definition.type)) {
      problems.add([...path, 'type'], `'${definition.type}' uses future bars (it is what the labels are made from), so it cannot be a feature`);
      continue;
    }
    const params = parseWith(definition.params, rawParams, path, problems);
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

function checkFuzzySets(raw: Record<string, unknown>, indicators: IndicatorCheck | undefined, problems: ProblemList): FuzzySetCheck | undefined {
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

function checkNnInputs(
  raw: Record<string, unknown>,
  timeframes: readonly string[] | undefined,
  fuzzySets: FuzzySetCheck | undefined,
  problems: ProblemList,
): StrategyNnInput[] | undefined {
  const value = raw.nn_inputs;
  if (value === undefined) {
    problems.add(['nn_inputs'], 'required (a list of {fuzzy_set, timeframes})');
    return undefined;
  }
  if (!Array.isArray(value) || value.length === 0) {
    problems.add(['nn_inputs'], Array.isArray(value) ? 'needs at least 1 item' : `expected a list of {fuzzy_set, timeframes}, got ${describeValue(value)}`);
    return undefined;
  }
  const inputs: StrategyNnInput[] = [];
  let ok = true;
  value.forEach((item, i) => {
    const path = ['nn_inputs', i];
    const entry = parseWith(NnInputSchema, item, path, problems);
    if (!entry) {
      ok = false;
      return;
    }
    if (fuzzySets && !fuzzySets.declared.includes(entry.fuzzy_set)) {
      problems.add([...path, 'fuzzy_set'], `unknown fuzzy set '${entry.fuzzy_set}' (defined: ${list(fuzzySets.declared)})`);
      ok = false;
    }
    const resolved = resolveInputTimeframes(entry.timeframes, [...path, 'timeframes'], timeframes, problems);
    if (!resolved) ok = false;
    else inputs.push({ fuzzySet: entry.fuzzy_set, timeframes: resolved });
  });
  return ok ? inputs : undefined;
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

function checkFeatureCollisions(fuzzySets: readonly StrategyFuzzySet[], inputs: readonly StrategyNnInput[], problems: ProblemList): void {
  const sets = new Map(fuzzySets.map((set) => [set.id, set]));
  const producedBy = new Map<string, number>();
  inputs.forEach((input, i) => {
    const set = sets.get(input.fuzzySet);
    if (!set) return;
    for (const timeframe of input.timeframes) {
      for (const { name } of set.memberships) {
        const id = `${timeframe}_${set.id}_${name}`;
        const earlier = producedBy.get(id);
        if (earlier !== undefined) {
          problems.add(['nn_inputs', i], `feature '${id}' is also produced by nn_inputs[${earlier}]; each feature may appear once`);
          return;
        }
        producedBy.set(id, i);
      }
    }
  });
}

function checkDataSplit(training: Parsed<'training'>, problems: ProblemList): void {
  const { train, validation, test } = training.data_split;
  const sum = train + validation + test;
  if (Math.abs(sum - 1) > 1e-9) {
    problems.add(['training', 'data_split'], `train + validation + test must sum to 1, got ${train} + ${validation} + ${test} = ${Number(sum.toFixed(12))}`);
  }
}

function collectWarnings(indicators: readonly StrategyIndicator[], fuzzySets: readonly StrategyFuzzySet[], inputs: readonly StrategyNnInput[], problems: ProblemList): void {
  const usedIndicators = new Set(fuzzySets.map((set) => set.indicatorId));
  for (const indicator of indicators) {
    if (!usedIndicators.has(indicator.id)) problems.warn(['indicators', indicator.id], 'not used by any fuzzy set');
  }
  const usedSets = new Set(inputs.map((input) => input.fuzzySet));
  for (const set of fuzzySets) {
    if (!usedSets.has(set.id)) problems.warn(['fuzzy_sets', set.id], 'not used by any nn_inputs entry, so it adds no features');
  }
}

function sortByLine(problems: StrategyProblem[]): StrategyProblem[] {
  return problems
    .map((problem, order) => ({ problem, order }))
    .sort((x, y) => (x.problem.line ?? Infinity) - (y.problem.line ?? Infinity) || x.order - y.order)
    .map(({ problem }) => problem);
}

/** Where the format is documented: an example in the README, every key with its default and range in the schema. */
export const STRATEGY_FORMAT_HINT =
  'the format is in README.md, section "Strategy files", and every key with its default and range in src/config/strategy.schema.ts; `ktrdr strategies validate <file>` lists every problem';

function invalid(file: string, errors: StrategyProblem[]): KtrdrError {
  const count = `${errors.length} problem${errors.length === 1 ? '' : 's'}`;
  const lines = errors.map((e) => `  - ${e.path ? `${e.path}: ` : ''}${e.message}${e.line !== undefined ? ` (line ${e.line})` : ''}`);
  return new KtrdrError('STRATEGY_INVALID', `strategy ${file} is invalid (${count}):\n${lines.join('\n')}`, {
    details: { file, errors },
    hint: STRATEGY_FORMAT_HINT,
  });
}

/**
 * Parses and validates strategy YAML. `source` names the file in messages. Throws STRATEGY_INVALID listing every
 * problem (each with a path, a message naming what would be valid, and a line where one can be found).
 */
export function parseStrategy(yamlText: string, source = '<inline>', options: ParseStrategyOptions = {}): Strategy {
  const catalog = options.indicators ?? registryCatalog;
  const lineCounter = new LineCounter();
  const doc = parseDocument(yamlText, { lineCounter, uniqueKeys: true, prettyErrors: true });
  if (doc.errors.length > 0) {
    throw invalid(
      source,
      doc.errors.map((error) => {
        const position = error.linePos?.[0];
        const message = error.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');
        return {
          path: '',
          message: position ? `YAML syntax error at line ${position.line}, column ${position.col}: ${message}` : `YAML syntax error: ${message}`,
          ...(position && { line: position.line }),
        };
      }),
    );
  }
  let raw: unknown;
  try {
    raw = doc.toJS({ maxAliasCount: 1000 });
  } catch (error) {
    throw invalid(source, [{ path: '', message: `YAML could not be read: ${(error as Error).message}` }]);
  }
  if (!isMapping(raw)) {
    throw invalid(source, [{ path: '', message: `expected a mapping of sections (${SECTION_KEYS.join(', ')}), got ${describeValue(raw)}` }]);
  }

  const problems = new ProblemList();
  for (const key of Object.keys(raw)) {
    if (!(SECTION_KEYS as string[]).includes(key)) problems.add([key], `unknown key (allowed: ${SECTION_KEYS.join(', ')})`);
  }
  const name = parseSection('name', raw, problems);
  const version = parseSection('version', raw, problems);
  const description = parseSection('description', raw, problems);
  const trainingData = checkTrainingData(raw, problems);
  const indicators = checkIndicators(raw, catalog, problems);
  const fuzzySets = checkFuzzySets(raw, indicators, problems);
  const nnInputs = checkNnInputs(raw, declaredTimeframes(raw, trainingData), fuzzySets, problems);
  const model = parseSection('model', raw, problems);
  const decisions = parseSection('decisions', raw, problems);
  const training = parseSection('training', raw, problems);
  if (training) checkDataSplit(training, problems);

  const allIndicators = indicators ? [...indicators.resolved.values()] : [];
  const allFuzzySets = fuzzySets ? [...fuzzySets.resolved.values()] : [];
  if (nnInputs && fuzzySets) checkFeatureCollisions(allFuzzySets, nnInputs, problems);

  const locate = (problem: StrategyProblem): StrategyProblem => {
    if (problem.line !== undefined) return problem;
    const line = lineOfPath(doc, lineCounter, parsePath(problem.path));
    return line === undefined ? problem : { ...problem, line };
  };
  if (problems.errors.length > 0) throw invalid(source, sortByLine(problems.errors.map(locate)));

  // Every section parsed and every reference resolved; the assertions below only narrow types.
  if (name === undefined || version === undefined || description === undefined || !trainingData || !indicators || !fuzzySets || !nnInputs || !model || !decisions || !training) {
    throw new Error('strategy validation passed with a section missing');
  }
  if (options.expectedName !== undefined && options.expectedName !== name) {
    problems.warn(['name'], `'${name}' differs from the file name '${options.expectedName}'; models will be stored as '${name}'`);
  }
  collectWarnings(allIndicators, allFuzzySets, nnInputs, problems);
  return {
    name,
    version,
    description,
    trainingData,
    indicators: allIndicators,
    fuzzySets: allFuzzySets,
    nnInputs,
    model: { type: model.type, hiddenLayers: model.hidden_layers, activation: model.activation, dropout: model.dropout },
    decisions: {
      outputFormat: decisions.output_format,
      ...(decisions.confidence_threshold !== undefined && { confidenceThreshold: decisions.confidence_threshold }),
    },
    training: {
      epochs: training.epochs,
      batchSize: training.batch_size,
      learningRate: training.learning_rate,
      weightDecay: training.weight_decay,
      earlyStopping: {
        enabled: training.early_stopping.enabled,
        patience: training.early_stopping.patience,
        minDelta: training.early_stopping.min_delta,
      },
      gradientClip: training.gradient_clip,
      classWeights: training.class_weights,
      seed: training.seed,
      dataSplit: { ...training.data_split },
      labels: { source: training.labels.source, zigzagThreshold: training.labels.zigzag_threshold, price: training.labels.price },
    },
    source: { text: yamlText, sha256: createHash('sha256').update(yamlText, 'utf8').digest('hex'), file: source },
    warnings: problems.warnings.map(locate),
  };
}
