import { KtrdrError } from '../errors.js';

/** A calendar duration: `3y`, `6m`, `30d`, `2w`. Months and years follow the calendar (not a fixed day count). */
export interface CalendarDuration {
  readonly count: number;
  readonly unit: 'y' | 'm' | 'w' | 'd';
}

/** One retraining step: train on [trainStart, trainEnd], then trade [testStart, testEnd] out of sample (epoch ms, inclusive). */
export interface WalkForwardWindow {
  readonly index: number;
  readonly trainStart: number;
  readonly trainEnd: number;
  readonly testStart: number;
  readonly testEnd: number;
}

export function parseDuration(text: string, option: string): CalendarDuration {
  const match = /^(\d{1,4})([ymwd])$/.exec(text.trim());
  const count = match ? Number(match[1]) : 0;
  if (!match || count < 1) throw new KtrdrError('VALIDATION_FAILED', `${option} must be a duration like 3y, 6m, 2w or 30d, got '${text}'`);
  return { count, unit: match[2] as CalendarDuration['unit'] };
}

export function formatDuration(duration: CalendarDuration): string {
  return `${duration.count}${duration.unit}`;
}

/** `ms` moved forward by the duration in UTC; a month from Jan 31 lands on the last day of February, not in March. */
export function addDuration(ms: number, duration: CalendarDuration): number {
  const date = new Date(ms);
  if (duration.unit === 'd' || duration.unit === 'w') return ms + duration.count * (duration.unit === 'w' ? 7 : 1) * 86_400_000;
  const months = duration.unit === 'y' ? 12 * duration.count : duration.count;
  const day = date.getUTCDate();
  date.setUTCDate(1);
  date.setUTCMonth(date.getUTCMonth() + months);
  const lastDay = new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + 1, 0)).getUTCDate();
  date.setUTCDate(Math.min(day, lastDay));
  return date.getTime();
}

/** Fewer windows than this is not a walk-forward; more is a typo in `--step`. */
const MAX_WINDOWS = 1000;

/**
 * Rolling windows over [start, end]: each trains on `train` and tests on the `test` that follows, and the next
 * window starts `step` later. A training range ends one millisecond before its test range starts, so no bar is in
 * both; the last test range is cut at `end`.
 */
export function walkForwardWindows(
  start: number,
  end: number,
  durations: { readonly train: CalendarDuration; readonly test: CalendarDuration; readonly step: CalendarDuration },
): WalkForwardWindow[] {
  const windows: WalkForwardWindow[] = [];
  for (let trainStart = start; windows.length <= MAX_WINDOWS; trainStart = addDuration(trainStart, durations.step)) {
    const testStart = addDuration(trainStart, durations.train);
    if (testStart > end) break;
    const testEnd = Math.min(addDuration(testStart, durations.test) - 1, end);
    windows.push({ index: windows.length + 1, trainStart, trainEnd: testStart - 1, testStart, testEnd });
  }
  if (windows.length === 0) {
    throw new KtrdrError('VALIDATION_FAILED', `the range has no room for ${formatDuration(durations.train)} of training followed by a test period`, {
      hint: 'use a longer range (--start/--end) or a shorter --train',
    });
  }
  if (windows.length > MAX_WINDOWS) throw new KtrdrError('VALIDATION_FAILED', `more than ${MAX_WINDOWS} windows; use a longer --step`);
  return windows;
}
