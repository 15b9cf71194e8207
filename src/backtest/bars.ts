import type { OhlcvSeries } from '../data/ohlcv.js';
import type { BacktestBars } from './engine.js';

/** The bars of a series at the given indices (a model's feature rows, which skip the warm-up), as the engine reads them. */
export function barsAt(series: OhlcvSeries, index: Int32Array): BacktestBars {
  const timestamps = new Float64Array(index.length);
  const open = new Float64Array(index.length);
  const close = new Float64Array(index.length);
  for (let i = 0; i < index.length; i++) {
    timestamps[i] = series.timestamps[index[i]];
    open[i] = series.open[index[i]];
    close[i] = series.close[index[i]];
  }
  return { timestamps, open, close };
}
