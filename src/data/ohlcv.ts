/**
 * One symbol's bars on one timeframe, column-wise. Timestamps are bar open times in epoch milliseconds (UTC),
 * strictly increasing. Columns are full-length typed arrays so the numeric layers never touch per-bar objects.
 */
export interface OhlcvSeries {
  readonly symbol: string;
  readonly timeframe: string;
  readonly timestamps: Float64Array;
  readonly open: Float64Array;
  readonly high: Float64Array;
  readonly low: Float64Array;
  readonly close: Float64Array;
  readonly volume: Float64Array;
}

/** The price columns an indicator may read; `source: close` etc. pick one of these. */
export type PriceField = 'open' | 'high' | 'low' | 'close' | 'volume';

export function seriesLength(series: OhlcvSeries): number {
  return series.timestamps.length;
}

/** Bars [start, end) of a series as views (no copy). */
export function sliceSeries(series: OhlcvSeries, start: number, end: number): OhlcvSeries {
  return {
    symbol: series.symbol,
    timeframe: series.timeframe,
    timestamps: series.timestamps.subarray(start, end),
    open: series.open.subarray(start, end),
    high: series.high.subarray(start, end),
    low: series.low.subarray(start, end),
    close: series.close.subarray(start, end),
    volume: series.volume.subarray(start, end),
  };
}
