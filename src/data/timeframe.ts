import { KtrdrError } from '../errors.js';

/**
 * Timeframes are `<count><unit>` with unit m (minute), h (hour), d (day) or w (week), e.g. `5m`, `1h`, `4h`, `1d`.
 * Months are not supported: they have no fixed duration, and alignment needs one.
 */
export const TIMEFRAME_PATTERN = /^[0-9]+[mhdw]$/;

const UNIT_MS = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const;

/** 1970-01-01 was a Thursday; weekly buckets start on Monday 00:00 UTC, 4 days later. */
const WEEK_ORIGIN_MS = 4 * UNIT_MS.d;

export function isValidTimeframe(timeframe: string): boolean {
  return TIMEFRAME_PATTERN.test(timeframe) && timeframe.length <= 10 && Number.parseInt(timeframe, 10) > 0;
}

export function assertTimeframe(timeframe: string): void {
  if (!isValidTimeframe(timeframe)) {
    throw new KtrdrError('INVALID_NAME', `invalid timeframe '${timeframe}': expected <count><unit> with unit m, h, d or w (e.g. 1h, 4h, 1d)`);
  }
}

/** The nominal duration of one bar in milliseconds. A bar opening at t is considered closed at t + duration. */
export function timeframeMs(timeframe: string): number {
  assertTimeframe(timeframe);
  const unit = timeframe[timeframe.length - 1] as keyof typeof UNIT_MS;
  return Number.parseInt(timeframe.slice(0, -1), 10) * UNIT_MS[unit];
}

/** Orders timeframes from highest frequency (shortest bars) to lowest. */
export function compareTimeframes(a: string, b: string): number {
  return timeframeMs(a) - timeframeMs(b);
}

/**
 * The UTC start of the period of `timeframe` that contains `timestamp`. Periods are aligned to the epoch
 * (so 4h buckets start at 00:00, 04:00, … UTC and days at midnight UTC), except weeks, which start on Monday.
 */
export function periodStart(timestamp: number, timeframe: string): number {
  return periodStartOf(timeframe)(timestamp);
}

/** `periodStart` for one timeframe, with the timeframe parsed once (for loops over many bars). */
export function periodStartOf(timeframe: string): (timestamp: number) => number {
  const duration = timeframeMs(timeframe);
  const origin = timeframe.endsWith('w') ? WEEK_ORIGIN_MS : 0;
  return (timestamp) => Math.floor((timestamp - origin) / duration) * duration + origin;
}
