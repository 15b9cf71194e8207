import { describe, expect, it } from 'vitest';
import { formatTimestamp, parseTimestamp } from '../../src/data/timestamp.js';
import { stitchCurves } from '../../src/sweeps/stitch.js';
import { addDuration, parseDuration, walkForwardWindows } from '../../src/sweeps/walkforward-windows.js';

const t = (text: string) => parseTimestamp(text);

describe('walk-forward windows', () => {
  it('should move by calendar months and years, keeping the day where the month has it', () => {
    expect(formatTimestamp(addDuration(t('2020-01-31'), parseDuration('1m', 'test')))).toBe('2020-02-29T00:00:00Z');
    expect(formatTimestamp(addDuration(t('2019-02-28'), parseDuration('1y', 'test')))).toBe('2020-02-28T00:00:00Z');
    expect(formatTimestamp(addDuration(t('2020-01-01'), parseDuration('18m', 'test')))).toBe('2021-07-01T00:00:00Z');
    expect(formatTimestamp(addDuration(t('2020-01-01'), parseDuration('2w', 'test')))).toBe('2020-01-15T00:00:00Z');
    for (const bad of ['3', 'y', '0m', '3 years', '2q']) expect(() => parseDuration(bad, '--train'), bad).toThrow(/--train must be a duration/);
  });

  it('should roll windows whose training ends just before its test period, the last cut at the end', () => {
    const windows = walkForwardWindows(t('2010-01-01'), t('2019-12-31'), {
      train: parseDuration('3y', 'train'),
      test: parseDuration('6m', 'test'),
      step: parseDuration('6m', 'step'),
    });
    expect(windows).toHaveLength(14);
    expect(formatTimestamp(windows[0].trainStart)).toBe('2010-01-01T00:00:00Z');
    expect(formatTimestamp(windows[0].trainEnd)).toBe('2012-12-31T23:59:59.999Z');
    expect(formatTimestamp(windows[0].testStart)).toBe('2013-01-01T00:00:00Z');
    expect(formatTimestamp(windows[13].testEnd)).toBe('2019-12-31T00:00:00Z');
    windows.forEach((w, i) => {
      expect(w.trainEnd).toBe(w.testStart - 1);
      if (i > 0) expect(w.testStart).toBe(windows[i - 1].testEnd + 1);
    });
    expect(() =>
      walkForwardWindows(t('2015-01-01'), t('2016-01-01'), {
        train: parseDuration('3y', 'train'),
        test: parseDuration('6m', 'test'),
        step: parseDuration('6m', 'step'),
      }),
    ).toThrow(/no room/);
  });

  it('should stitch curves so each window starts from the previous end, with metrics of the stitched curve', () => {
    const curve = (start: string, equity: number[]) => ({
      timestamps: Float64Array.from(equity, (_, i) => t(start) + i * 86_400_000),
      equity: Float64Array.from(equity),
      benchmark: Float64Array.from(equity, () => 1),
      trades: 2,
    });
    const stitched = stitchCurves([curve('2020-01-01', [1, 1.1, 1.2]), curve('2020-02-01', [1, 0.9, 1.5])], 1);
    expect(Array.from(stitched.equity)).toEqual([1, 1.1, 1.2, 1.2, 1.2 * 0.9, 1.2 * 1.5]);
    expect(stitched.metrics.totalReturn).toBeCloseTo(0.8, 12);
    expect(stitched.metrics.trades).toBe(4);
    expect(stitched.metrics.maxDrawdown).toBeCloseTo(0.1, 12);
    expect(stitched.benchmarkMetrics.totalReturn).toBe(0);
  });
});
