import type { OhlcvSeries } from './ohlcv.js';
import { timeframeMs } from './timeframe.js';

/**
 * Multi-timeframe alignment without look-ahead. A bar opening at t with timeframe duration D is treated as closed
 * at t + D (its nominal close). Each base bar sees the most recent higher-timeframe bar that had closed by the base
 * bar's own close: higher.open + higherDuration <= base.open + baseDuration. The value is carried forward until the
 * next higher bar closes; before the first one closes there is nothing to see (index -1, value NaN).
 *
 * Using the nominal close is deliberately conservative: a daily bar stamped 00:00 only becomes visible to hourly
 * bars that close at or after the next midnight, even if the exchange closed earlier that day.
 */

/** For each base bar, the index of the latest closed higher bar, or -1. Both timestamp arrays strictly increase. */
export function alignmentIndex(
  baseTimestamps: Float64Array,
  baseDurationMs: number,
  higherTimestamps: Float64Array,
  higherDurationMs: number,
): Int32Array {
  const n = baseTimestamps.length;
  const m = higherTimestamps.length;
  const index = new Int32Array(n);
  let j = -1;
  for (let i = 0; i < n; i++) {
    const baseClose = baseTimestamps[i] + baseDurationMs;
    while (j + 1 < m && higherTimestamps[j + 1] + higherDurationMs <= baseClose) j++;
    index[i] = j;
  }
  return index;
}

/** Gathers `values[index[i]]` for each base bar; NaN where the index is -1. */
export function gatherAligned(values: Float64Array | Float32Array, index: Int32Array, out = new Float64Array(index.length)): Float64Array {
  for (let i = 0; i < index.length; i++) {
    const j = index[i];
    out[i] = j < 0 ? NaN : values[j];
  }
  return out;
}

/**
 * Aligns columns computed on `higher` (each as long as `higher`) to the bars of `base`, using the timeframes the
 * series carry. Returns one base-length column per input column, in the same order.
 */
export function alignToBase(base: OhlcvSeries, higher: OhlcvSeries, values: readonly Float64Array[]): Float64Array[] {
  for (const column of values) {
    if (column.length !== higher.timestamps.length) {
      throw new RangeError(`alignToBase: a column has ${column.length} values but ${higher.symbol} ${higher.timeframe} has ${higher.timestamps.length} bars`);
    }
  }
  const index = alignmentIndex(base.timestamps, timeframeMs(base.timeframe), higher.timestamps, timeframeMs(higher.timeframe));
  return values.map((column) => gatherAligned(column, index));
}
