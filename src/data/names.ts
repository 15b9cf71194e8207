import { KtrdrError } from '../errors.js';
import { assertTimeframe } from './timeframe.js';

/** Symbols become file names, so only a conservative character set is allowed: no slashes, no `..`. */
export const SYMBOL_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,19}$/;

export function isValidSymbol(symbol: string): boolean {
  return SYMBOL_PATTERN.test(symbol) && !symbol.includes('..');
}

export function assertSymbol(symbol: string): void {
  if (!isValidSymbol(symbol)) {
    throw new KtrdrError(
      'INVALID_NAME',
      `invalid symbol '${symbol}': 1-20 characters from A-Z a-z 0-9 _ . -, starting with a letter or digit, no '..'`,
    );
  }
}

/** The file name of one (symbol, timeframe) series, after validating both parts. */
export function dataFileName(symbol: string, timeframe: string): string {
  assertSymbol(symbol);
  assertTimeframe(timeframe);
  return `${symbol}_${timeframe}.csv`;
}
