import { parse as parseYaml } from 'yaml';
import { KtrdrError } from '../errors.js';
import { SeededRandom } from '../util/random.js';

/** One swept strategy value: a dotted strategy path and the values it takes. */
export interface ParamAxis {
  readonly path: string;
  readonly values: readonly unknown[];
}

/** How configurations are drawn from the axes: every combination, or `samples` of them chosen with a seed. */
export type SweepSearch = { readonly kind: 'grid' } | { readonly kind: 'random'; readonly samples: number; readonly seed: number };

/** One point of the sweep: a value per swept path, in axis order. */
export interface Configuration {
  /** `c1`, `c2`, …: stable within the sweep, the row the results table groups seeds by. */
  readonly id: string;
  readonly params: Readonly<Record<string, unknown>>;
}

/** Above this many trainings a sweep is almost certainly a typo (a seed range of 1-50000), not a plan. */
export const MAX_TRIALS = 10_000;

/**
 * `training.learning_rate=0.001,0.003,0.01` or `model.hidden_layers=[32],[64,32]`: the values are split at the
 * commas outside brackets and each read as YAML, so numbers, lists and words come out as the strategy file would have them.
 */
export function parseParamArg(text: string): ParamAxis {
  const eq = text.indexOf('=');
  if (eq <= 0) throw invalid(`--param must be path=value,value,… (e.g. training.learning_rate=0.001,0.01), got '${text}'`, text);
  const path = text.slice(0, eq).trim();
  const values = splitTopLevel(text.slice(eq + 1)).map((part) => {
    try {
      return parseYaml(part) as unknown;
    } catch {
      throw invalid(`--param ${path}: '${part}' is not a value`, path);
    }
  });
  if (values.some((v) => v === null || v === undefined)) throw invalid(`--param ${path} has an empty value`, path);
  return { path, values };
}

/** Commas inside `[…]` or `{…}` belong to a value (`[64,32]`); the others separate values. */
function splitTopLevel(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let current = '';
  for (const ch of text) {
    if (ch === '[' || ch === '{') depth++;
    if (ch === ']' || ch === '}') depth--;
    if (ch === ',' && depth === 0) {
      parts.push(current.trim());
      current = '';
    } else {
      current += ch;
    }
  }
  parts.push(current.trim());
  return parts;
}

/** `--seeds 1-5`, `--seeds 1,4,9` or a mix (`1-3,7`): distinct, in the order given. */
export function parseSeeds(text: string): number[] {
  const seeds: number[] = [];
  for (const part of text.split(',').map((p) => p.trim())) {
    const range = /^(\d+)-(\d+)$/.exec(part);
    const [from, to] = range ? [Number(range[1]), Number(range[2])] : [Number(part), Number(part)];
    if (part === '' || !Number.isSafeInteger(from) || !Number.isSafeInteger(to) || from > to || to > 0xffffffff) {
      throw invalid(`--seeds must be integers or ranges like 1-5, got '${text}'`, 'seeds');
    }
    if (to - from >= MAX_TRIALS) throw invalid(`--seeds ${part} has more than ${MAX_TRIALS} seeds`, 'seeds');
    for (let seed = from; seed <= to; seed++) if (!seeds.includes(seed)) seeds.push(seed);
  }
  return seeds;
}

/**
 * The configurations a sweep trains, before seeds: the full grid, or a seeded random sample of it without repeats
 * (the same seed draws the same sample, so a random sweep can be repeated). Refuses an empty grid (no axis, or an
 * axis without values), a path swept twice and a grid beyond MAX_TRIALS.
 */
export function sweepConfigurations(axes: readonly ParamAxis[], search: SweepSearch): Configuration[] {
  // Without an axis the grid is the strategy as it is: nothing would be compared, so it is a mistake, not a sweep.
  if (axes.length === 0) throw invalid('a sweep needs at least one parameter to vary (params is empty)', 'params');
  const seen = new Set<string>();
  for (const axis of axes) {
    if (seen.has(axis.path)) throw invalid(`parameter ${axis.path} is swept twice`, axis.path);
    seen.add(axis.path);
    if (axis.values.length === 0) throw invalid(`parameter ${axis.path} has no values`, axis.path);
  }
  const size = axes.reduce((n, axis) => n * axis.values.length, 1);
  if (size > MAX_TRIALS && search.kind === 'grid') throw invalid(`the grid has ${size} configurations; at most ${MAX_TRIALS}`, 'params');
  const indexes =
    search.kind === 'grid' ? Array.from({ length: size }, (_, i) => i) : sampleIndexes(size, Math.min(search.samples, size), search.seed);
  return indexes.map((flat, i) => ({ id: `c${i + 1}`, params: paramsAt(axes, flat) }));
}

/** The combination at a flat grid index, the last axis varying fastest (the order `--param`s were given in). */
function paramsAt(axes: readonly ParamAxis[], flat: number): Record<string, unknown> {
  const params: Record<string, unknown> = {};
  let rest = flat;
  for (let a = axes.length - 1; a >= 0; a--) {
    const axis = axes[a];
    params[axis.path] = axis.values[rest % axis.values.length];
    rest = Math.floor(rest / axis.values.length);
  }
  return Object.fromEntries(axes.map((axis) => [axis.path, params[axis.path]]));
}

/** `count` distinct grid indexes drawn by the seeded generator, kept in grid order. */
function sampleIndexes(size: number, count: number, seed: number): number[] {
  const random = new SeededRandom(seed);
  const chosen = new Set<number>();
  while (chosen.size < count) chosen.add(random.nextInt(size));
  return [...chosen].sort((a, b) => a - b);
}

function invalid(message: string, param: string): KtrdrError {
  return new KtrdrError('VALIDATION_FAILED', message, { details: { param } });
}
