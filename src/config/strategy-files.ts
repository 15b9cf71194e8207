import { readFile, readdir, stat } from 'node:fs/promises';
import { basename, extname, join, resolve } from 'node:path';
import { KtrdrError, isKtrdrError } from '../errors.js';
import { parseStrategy, type ParseStrategyOptions, type Strategy } from './strategy.js';
import { STRATEGY_NAME_PATTERN } from './strategy.schema.js';

const EXTENSIONS = ['.yaml', '.yml'];

/** Reads and validates one strategy file (STRATEGY_NOT_FOUND when it does not exist, STRATEGY_INVALID when bad). */
export async function loadStrategyFile(path: string, options: ParseStrategyOptions = {}): Promise<Strategy> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'EISDIR')
      throw new KtrdrError('STRATEGY_NOT_FOUND', `strategy file ${path} does not exist`, { details: { file: path } });
    throw error;
  }
  return parseStrategy(text, path, { expectedName: basename(path, extname(path)), ...options });
}

/**
 * The file of a strategy *name* in `strategiesDir`: `<name>.yaml`, else `<name>.yml`. Names must match
 * `^[A-Za-z0-9][A-Za-z0-9_-]*$` (INVALID_NAME otherwise), so a name can never point outside the directory.
 * Use this for names from untrusted input (HTTP requests).
 */
export async function resolveStrategyName(name: string, strategiesDir: string): Promise<string> {
  if (!STRATEGY_NAME_PATTERN.test(name) || name.length > 100) {
    throw new KtrdrError('INVALID_NAME', `invalid strategy name '${name}': use letters, digits, _ and -, starting with a letter or digit`, {
      hint: 'pass a path ending in .yaml to use a file outside the strategies directory (CLI only)',
    });
  }
  const dir = resolve(strategiesDir);
  for (const extension of EXTENSIONS) {
    const file = join(dir, `${name}${extension}`);
    if (await isReadableFile(file)) return file;
  }
  const available = (await strategyFiles(dir)).map((file) => basename(file, extname(file)));
  throw new KtrdrError('STRATEGY_NOT_FOUND', `no strategy '${name}' in ${dir} (looked for ${name}.yaml and ${name}.yml)`, {
    details: { name, dir, available },
    hint: available.length > 0 ? `available: ${available.join(', ')}` : `${dir} has no strategy files; set KTRDR_STRATEGIES_DIR or pass a path`,
  });
}

/**
 * A strategy name or an explicit file path (CLI): an argument ending in `.yaml`/`.yml` is a path, resolved against the
 * working directory; anything else is a name looked up with `resolveStrategyName` (and validated like one).
 */
export async function resolveStrategyPath(nameOrPath: string, strategiesDir: string): Promise<string> {
  if (!EXTENSIONS.includes(extname(nameOrPath).toLowerCase())) return resolveStrategyName(nameOrPath, strategiesDir);
  const file = resolve(nameOrPath);
  if (!(await isReadableFile(file))) throw new KtrdrError('STRATEGY_NOT_FOUND', `strategy file ${file} does not exist`, { details: { file } });
  return file;
}

export interface StrategyListing {
  /** File name without extension. */
  readonly name: string;
  readonly file: string;
  /** Present when the file is valid. */
  readonly strategy?: Strategy;
  /** Present when it is not (STRATEGY_INVALID), with every problem in `details`. */
  readonly error?: KtrdrError;
}

/** Every strategy file in a directory, each loaded and validated; sorted by name. A missing directory lists nothing. */
export async function listStrategies(strategiesDir: string, options: ParseStrategyOptions = {}): Promise<StrategyListing[]> {
  const files = await strategyFiles(resolve(strategiesDir));
  const listings: StrategyListing[] = [];
  for (const file of files) {
    const name = basename(file, extname(file));
    try {
      listings.push({ name, file, strategy: await loadStrategyFile(file, options) });
    } catch (error) {
      if (!isKtrdrError(error)) throw error;
      listings.push({ name, file, error });
    }
  }
  return listings;
}

async function strategyFiles(dir: string): Promise<string[]> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  return entries
    .filter((entry) => entry.isFile() && EXTENSIONS.includes(extname(entry.name).toLowerCase()))
    .map((entry) => join(dir, entry.name))
    .sort();
}

async function isReadableFile(file: string): Promise<boolean> {
  try {
    return (await stat(file)).isFile();
  } catch {
    return false;
  }
}
