import { KtrdrError } from '../errors.js';
import type { OhlcvSeries } from './ohlcv.js';
import { periodStartOf, timeframeMs } from './timeframe.js';

/**
 * Aggregates bars into a longer timeframe, exactly: each output bar covers the source bars whose open time falls in
 * one UTC period of the target timeframe (see `periodStart` in timeframe.ts); open = first open, high = max high, low = min low,
 * close = last close, volume = sum, timestamp = the period start. Periods with no source bars produce no bar
 * (weekends stay gaps), and partial periods at either end are kept as they are — a bar is never invented.
 */
export function resample(series: OhlcvSeries, timeframe: string): OhlcvSeries {
  const sourceMs = timeframeMs(series.timeframe);
  const targetMs = timeframeMs(timeframe);
  if (targetMs < sourceMs || targetMs % sourceMs !== 0) {
    throw new KtrdrError('VALIDATION_FAILED', `cannot resample ${series.timeframe} to ${timeframe}: the target must be a whole multiple of the source timeframe`);
  }
  const periodOf = periodStartOf(timeframe);
  const { timestamps, open, high, low, close, volume } = series;
  const n = timestamps.length;
  const outTs = new Float64Array(n);
  const outOpen = new Float64Array(n);
  const outHigh = new Float64Array(n);
  const outLow = new Float64Array(n);
  const outClose = new Float64Array(n);
  const outVolume = new Float64Array(n);
  let k = -1;
  let currentPeriod = NaN;
  for (let i = 0; i < n; i++) {
    const period = periodOf(timestamps[i]);
    if (period !== currentPeriod) {
      k++;
      currentPeriod = period;
      outTs[k] = period;
      outOpen[k] = open[i];
      outHigh[k] = high[i];
      outLow[k] = low[i];
      outVolume[k] = 0;
    } else {
      if (high[i] > outHigh[k]) outHigh[k] = high[i];
      if (low[i] < outLow[k]) outLow[k] = low[i];
    }
    outClose[k] = close[i];
    outVolume[k] += volume[i];
  }
  const m = k + 1;
  return {
    symbol: series.symbol,
    timeframe,
    timestamps: outTs.slice(0, m),
    open: outOpen.slice(0, m),
    high: outHigh.slice(0, m),
    low: outLow.slice(0, m),
    close: outClose.slice(0, m),
    volume: outVolume.slice(0, m),
  };
}
