import type { OhlcvSeries } from '../data/ohlcv.js';
import { KtrdrError } from '../errors.js';

/** Shared argument checks for the labelers, so every labeler refuses bad input with the same codes. */

export function invalidLabelParams(labeler: string, message: string, details: Record<string, unknown>): KtrdrError {
  return new KtrdrError('LABEL_PARAMS_INVALID', `${labeler} labels: ${message}`, { details });
}

export function requireBars(labeler: string, series: OhlcvSeries, required: number): void {
  const available = series.close.length;
  if (available < required) {
    throw new KtrdrError('DATA_INSUFFICIENT', `Insufficient data for ${labeler} labels: ${available} bars available, ${required} required`, {
      details: { available, required },
    });
  }
}

/** Returns divide by the close, so a zero close would make every later figure infinite. */
export function requireNonZeroCloses(labeler: string, close: Float64Array): void {
  const bar = close.findIndex((c) => c === 0);
  if (bar >= 0) {
    throw new KtrdrError('DATA_INVALID', `${labeler} labels: close is 0 at bar ${bar}; returns are undefined`, { details: { bar } });
  }
}
