import { KtrdrError } from '../errors.js';
import { sliceSeries, type OhlcvSeries } from './ohlcv.js';
import { formatTimestamp, parseRangeBound } from './timestamp.js';

/**
 * An inclusive date range on bar open times. Strings are ISO dates or date-times (no offset = UTC); a date-only
 * `end` includes that whole day. Numbers are epoch ms and are used exactly.
 */
export interface DateRange {
  readonly start?: string | number;
  readonly end?: string | number;
}

function boundMs(value: string | number | undefined, bound: 'start' | 'end'): number {
  if (value === undefined) return bound === 'start' ? -Infinity : Infinity;
  const ms = typeof value === 'number' ? value : parseRangeBound(value, bound);
  if (Number.isNaN(ms)) {
    throw new KtrdrError('VALIDATION_FAILED', `invalid ${bound} date '${String(value)}': expected an ISO date (2020-01-31) or date-time (2020-01-31T12:00:00Z)`);
  }
  return ms;
}

/** The range as inclusive epoch-ms bounds (±Infinity when open). */
export function resolveRange(range: DateRange): { startMs: number; endMs: number } {
  return { startMs: boundMs(range.start, 'start'), endMs: boundMs(range.end, 'end') };
}

/** First index whose timestamp is >= `value` (or > `value` when `strict`); timestamps strictly increase. */
function searchIndex(timestamps: Float64Array, value: number, strict: boolean): number {
  let lo = 0;
  let hi = timestamps.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (timestamps[mid] < value || (strict && timestamps[mid] === value)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The bars whose open time lies in the inclusive range, as views. Throws DATA_EMPTY_RANGE when none do. */
export function filterRange(series: OhlcvSeries, range: DateRange, file = `${series.symbol}_${series.timeframe}`): OhlcvSeries {
  const { startMs, endMs } = resolveRange(range);
  const describe = `${range.start ?? 'the beginning'} .. ${range.end ?? 'the end'}`;
  if (startMs > endMs) {
    throw new KtrdrError('DATA_EMPTY_RANGE', `empty date range ${describe}: start is after end`, { details: { file, start: range.start, end: range.end } });
  }
  const from = searchIndex(series.timestamps, startMs, false);
  const to = searchIndex(series.timestamps, endMs, true);
  if (to <= from) {
    const n = series.timestamps.length;
    const available = n > 0 ? `${formatTimestamp(series.timestamps[0])} .. ${formatTimestamp(series.timestamps[n - 1])}` : 'no bars';
    throw new KtrdrError('DATA_EMPTY_RANGE', `no ${series.symbol} ${series.timeframe} bars in ${describe} (${file} covers ${available})`, {
      details: { file, start: range.start, end: range.end, available },
    });
  }
  return from === 0 && to === series.timestamps.length ? series : sliceSeries(series, from, to);
}
