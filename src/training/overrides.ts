import { isSeq, parseDocument, type Document } from 'yaml';
import { isValidSymbol } from '../data/names.js';
import { isValidTimeframe } from '../data/timeframe.js';
import { parseRangeBound } from '../data/timestamp.js';
import { KtrdrError } from '../errors.js';

/** Per-run changes to a strategy, applied to its YAML so the snapshot stored with the model is exactly what ran. */
export interface StrategyOverrides {
  readonly symbols?: readonly string[];
  readonly timeframes?: readonly string[];
  readonly startDate?: string;
  readonly endDate?: string;
  readonly epochs?: number;
  readonly seed?: number;
  /**
   * Any other strategy values, by dotted path (`training.learning_rate`, `model.hidden_layers`): what a sweep varies.
   * Applied after the named overrides; the strategy schema judges the values.
   */
  readonly params?: Readonly<Record<string, unknown>>;
}

/** What each override is called where the user typed it: `--start` on the CLI, `start_date` in an HTTP request. */
export type OverrideNames = { readonly [K in keyof StrategyOverrides]-?: string };

/** The fields of `POST /trainings/start` (and of the host protocol), the default. */
export const REQUEST_FIELD_NAMES: OverrideNames = {
  symbols: 'symbols',
  timeframes: 'timeframes',
  startDate: 'start_date',
  endDate: 'end_date',
  epochs: 'epochs',
  seed: 'seed',
  params: 'params',
};

/** The `ktrdr train` options. */
export const TRAIN_OPTION_NAMES: OverrideNames = {
  symbols: '--symbols',
  timeframes: '--timeframes',
  startDate: '--start',
  endDate: '--end',
  epochs: '--epochs',
  seed: '--seed',
  params: '--param',
};

/** `training.learning_rate`, `model.hidden_layers`, `nn_inputs.0.timeframes`: keys and list indexes, dot-separated. */
const PARAM_PATH = /^[a-z_][a-z0-9_]*(\.([a-z_][a-z0-9_]*|\d+))*$/;

const DATE_FORMAT = "an ISO date '2020-01-31' or date-time '2020-01-31T12:00:00Z' (UTC when no offset)";

/**
 * Checks overrides before they are written into a strategy. A bad override is a mistake in the command or request,
 * so it is reported as VALIDATION_FAILED naming the option as typed; written into the YAML first, it would come back
 * as a problem "at line 17" of a strategy file nobody edited. With the strategy text, a date is also checked against
 * the other end of the range it keeps from the file. Lists every problem at once.
 */
export function checkOverrides(overrides: StrategyOverrides, names: OverrideNames = REQUEST_FIELD_NAMES, yamlText?: string): void {
  const problems: { option: string; message: string }[] = [];
  const add = (key: keyof StrategyOverrides, message: string) => problems.push({ option: names[key], message });
  overrides.symbols?.forEach((symbol) => {
    if (!isValidSymbol(symbol))
      add('symbols', `has '${symbol}': a symbol is 1-20 characters from A-Z a-z 0-9 _ . -, starting with a letter or digit`);
  });
  if (overrides.symbols?.length === 0) add('symbols', 'is empty');
  overrides.timeframes?.forEach((timeframe, i) => {
    if (!isValidTimeframe(timeframe)) add('timeframes', `has '${timeframe}': a timeframe is <count><unit> with unit m, h, d or w (e.g. 1h, 4h, 1d)`);
    else if (overrides.timeframes!.indexOf(timeframe) !== i) add('timeframes', `has '${timeframe}' twice`);
  });
  if (overrides.timeframes?.length === 0) add('timeframes', 'is empty');
  const start = overrides.startDate === undefined ? undefined : parseRangeBound(overrides.startDate, 'start');
  const end = overrides.endDate === undefined ? undefined : parseRangeBound(overrides.endDate, 'end');
  if (Number.isNaN(start)) add('startDate', `must be ${DATE_FORMAT}, got '${overrides.startDate}'`);
  if (Number.isNaN(end)) add('endDate', `must be ${DATE_FORMAT}, got '${overrides.endDate}'`);
  if (start !== undefined && end !== undefined && start > end)
    add('endDate', `'${overrides.endDate}' is before ${names.startDate} '${overrides.startDate}'`);
  else if (yamlText !== undefined && (start === undefined) !== (end === undefined)) checkAgainstFile(yamlText, overrides, names, add);
  if (overrides.epochs !== undefined && !isIntegerIn(overrides.epochs, 1, 100_000))
    add('epochs', `must be an integer in 1..100000, got ${overrides.epochs}`);
  if (overrides.seed !== undefined && !isIntegerIn(overrides.seed, 0, 0xffffffff))
    add('seed', `must be an integer in 0..${0xffffffff}, got ${overrides.seed}`);
  for (const path of Object.keys(overrides.params ?? {})) {
    if (!PARAM_PATH.test(path)) add('params', `has '${path}': a parameter is a dotted strategy path such as training.learning_rate`);
  }
  if (problems.length > 0) {
    throw new KtrdrError('VALIDATION_FAILED', problems.map((p) => `${p.option} ${p.message}`).join('; '), { details: { problems } });
  }
}

/** One overridden end of the range against the other end as the strategy file has it. */
function checkAgainstFile(
  yamlText: string,
  overrides: StrategyOverrides,
  names: OverrideNames,
  add: (key: keyof StrategyOverrides, message: string) => void,
): void {
  const doc = parseDocument(yamlText);
  if (doc.errors.length > 0) return;
  if (overrides.startDate !== undefined) {
    const fileEnd = doc.getIn(['training_data', 'end_date']);
    if (typeof fileEnd === 'string' && parseRangeBound(overrides.startDate, 'start') > parseRangeBound(fileEnd, 'end')) {
      add('startDate', `'${overrides.startDate}' is after the strategy's end_date '${fileEnd}' (give ${names.endDate} too)`);
    }
  } else if (overrides.endDate !== undefined) {
    const fileStart = doc.getIn(['training_data', 'start_date']);
    if (typeof fileStart === 'string' && parseRangeBound(fileStart, 'start') > parseRangeBound(overrides.endDate, 'end')) {
      add('endDate', `'${overrides.endDate}' is before the strategy's start_date '${fileStart}' (give ${names.startDate} too)`);
    }
  }
}

function isIntegerIn(value: number, min: number, max: number): boolean {
  return Number.isSafeInteger(value) && value >= min && value <= max;
}

/**
 * Rewrites the strategy text with the overrides. Without overrides the text is returned untouched (same sha256).
 * Changing the timeframes drops an explicit `base_timeframe` that is no longer among them, so the schema picks the
 * highest-frequency one again. Bad overrides are refused first (`checkOverrides`, named as in `names`).
 */
export function applyOverrides(yamlText: string, overrides: StrategyOverrides, names: OverrideNames = REQUEST_FIELD_NAMES): string {
  const entries = Object.entries(overrides).filter(([key, value]) => value !== undefined && !(key === 'params' && Object.keys(value).length === 0));
  if (entries.length === 0) return yamlText;
  checkOverrides(overrides, names, yamlText);
  const doc = parseDocument(yamlText);
  if (doc.errors.length > 0) return yamlText; // the strategy parser reports syntax errors with positions
  if (overrides.symbols) doc.setIn(['training_data', 'symbols'], [...overrides.symbols]);
  if (overrides.timeframes) {
    retargetSingleTimeframe(doc, overrides.timeframes);
    doc.setIn(['training_data', 'timeframes'], [...overrides.timeframes]);
    const base = doc.getIn(['training_data', 'base_timeframe']);
    if (typeof base === 'string' && !overrides.timeframes.includes(base)) doc.deleteIn(['training_data', 'base_timeframe']);
  }
  if (overrides.startDate) doc.setIn(['training_data', 'start_date'], overrides.startDate);
  if (overrides.endDate) doc.setIn(['training_data', 'end_date'], overrides.endDate);
  if (overrides.epochs !== undefined) doc.setIn(['training', 'epochs'], overrides.epochs);
  if (overrides.seed !== undefined) doc.setIn(['training', 'seed'], overrides.seed);
  for (const [path, value] of Object.entries(overrides.params ?? {})) doc.setIn(paramPath(path), value);
  return doc.toString();
}

/** A list index stays a number so `setIn` addresses the sequence item rather than adding a key named '0'. */
function paramPath(path: string): (string | number)[] {
  return path.split('.').map((key) => (/^\d+$/.test(key) ? Number(key) : key));
}

/**
 * Training a one-timeframe strategy on another single timeframe (1d → 1h) is the common case of a timeframe
 * override, so explicit `nn_inputs[].timeframes: [1d]` lists follow it. Any other combination is left for the
 * validator to judge, which names the input that no longer fits.
 */
function retargetSingleTimeframe(doc: Document, timeframes: readonly string[]): void {
  const current = doc.getIn(['training_data', 'timeframes']);
  if (!isSeq(current) || current.items.length !== 1 || timeframes.length !== 1) return;
  const from = String(doc.getIn(['training_data', 'timeframes', 0]));
  const inputs = doc.get('nn_inputs');
  if (!isSeq(inputs)) return;
  inputs.items.forEach((_item, i) => {
    const list = doc.getIn(['nn_inputs', i, 'timeframes']);
    if (isSeq(list) && list.items.length === 1 && String(doc.getIn(['nn_inputs', i, 'timeframes', 0])) === from) {
      doc.setIn(['nn_inputs', i, 'timeframes'], [timeframes[0]]);
    }
  });
}
