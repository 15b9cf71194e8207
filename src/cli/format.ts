import { relative } from 'node:path';
import { KtrdrError } from '../errors.js';
import { LOG_LEVELS } from '../util/logger.js';

/** Left-aligned columns separated by two spaces. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n') + '\n';
}

/** A path relative to the working directory when it lies below it, else absolute. */
export function displayPath(file: string): string {
  const rel = relative(process.cwd(), file);
  return rel.startsWith('..') ? file : rel;
}

/** Parsed in the action (not as a commander argParser) so a bad value is a VALIDATION_FAILED error like any other. */
export function integerOption(option: string, value: string, min: number, max: number): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min || n > max) {
    throw new KtrdrError('VALIDATION_FAILED', `${option} must be an integer in ${min}..${max}, got '${value}'`);
  }
  return n;
}

/** `--log-level` of the long-running commands: pino's levels, plus `silent`. */
export const LOG_LEVEL_CHOICES: readonly string[] = [...LOG_LEVELS, 'silent'];

export function logLevelOption(value: string): string {
  if (!LOG_LEVEL_CHOICES.includes(value))
    throw new KtrdrError('VALIDATION_FAILED', `--log-level must be one of ${LOG_LEVEL_CHOICES.join(', ')}, got '${value}'`);
  return value;
}

/** The `--server` option of the commands that talk to a running `ktrdr serve` (see `resolveServerUrl`). */
export const SERVER_HELP = 'server URL (default: KTRDR_SERVER or http://127.0.0.1:8000)';
/** The `--token` option beside `--server`; `buildProgram` hands it to the client as KTRDR_TOKEN. */
export const TOKEN_HELP = 'API token sent to the server (default: KTRDR_TOKEN)';

/** `a,b, c` → ['a', 'b', 'c']; undefined stays undefined. */
export function listOption(value: string | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  const items = value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  return items.length > 0 ? items : undefined;
}

export function formatNumber(value: unknown, digits = 4): string {
  return typeof value === 'number' && Number.isFinite(value) ? value.toFixed(digits) : '-';
}
