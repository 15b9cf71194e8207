import { describe, expect, it } from 'vitest';
import { alignToBase, alignmentIndex } from '../../src/data/align.js';
import type { OhlcvSeries } from '../../src/data/ohlcv.js';
import { resample } from '../../src/data/resample.js';
import { generateSyntheticSeries } from '../../src/data/synth.js';
import { timeframeMs } from '../../src/data/timeframe.js';

function barsAt(timeframe: string, timestamps: number[]): OhlcvSeries {
  const n = timestamps.length;
  const ones = new Float64Array(n).fill(1);
  return { symbol: 'T', timeframe, timestamps: Float64Array.from(timestamps), open: ones, high: ones, low: ones, close: ones, volume: ones };
}

const H = 3_600_000;

describe(alignToBase.name, () => {
  it('should show a higher bar only once it has closed, then carry it forward', () => {
    const t0 = Date.UTC(2020, 0, 6);
    const base = barsAt('1h', Array.from({ length: 10 }, (_, i) => t0 + i * H));
    const higher = barsAt('4h', [t0, t0 + 4 * H, t0 + 8 * H]);
    const [aligned] = alignToBase(base, higher, [Float64Array.from([100, 200, 300])]);
    // The 00:00 4h bar closes at 04:00, which is the close of the 03:00 hourly bar.
    expect([...aligned]).toEqual([NaN, NaN, NaN, 100, 100, 100, 100, 200, 200, 200]);
  });

  it('should never let a future higher-timeframe bar leak into a base bar (synthetic 1h vs 4h and 1d)', () => {
    const hourly = generateSyntheticSeries({ symbol: 'EURUSD', timeframe: '1h', bars: 3000, seed: 11 });
    const baseMs = timeframeMs('1h');
    for (const timeframe of ['4h', '1d']) {
      const higher = resample(hourly, timeframe);
      const higherMs = timeframeMs(timeframe);
      // Each higher bar's value is its own index, so the aligned value says exactly which bar a base bar saw.
      const barIndex = Float64Array.from({ length: higher.timestamps.length }, (_, j) => j);
      const [seen] = alignToBase(hourly, higher, [barIndex]);
      let sawSomething = 0;
      for (let i = 0; i < hourly.timestamps.length; i++) {
        const baseClose = hourly.timestamps[i] + baseMs;
        if (Number.isNaN(seen[i])) {
          // Nothing seen yet: then no higher bar may have closed by this base bar's close.
          expect(higher.timestamps[0] + higherMs).toBeGreaterThan(baseClose);
          continue;
        }
        sawSomething++;
        const j = seen[i];
        expect(higher.timestamps[j] + higherMs).toBeLessThanOrEqual(baseClose); // closed, not future
        if (j + 1 < higher.timestamps.length) {
          expect(higher.timestamps[j + 1] + higherMs).toBeGreaterThan(baseClose); // and the latest one that closed
        }
        // The bar seen must not include any hourly bar after this one.
        const inHigherBar = hourly.timestamps.filter((t) => t >= higher.timestamps[j] && t < higher.timestamps[j] + higherMs);
        expect(inHigherBar.every((t) => t <= hourly.timestamps[i])).toBe(true);
      }
      expect(sawSomething).toBeGreaterThan(2500);
    }
  });

  it('should carry a daily value across a weekend gap and align a same-timeframe series one to one', () => {
    const friday = Date.UTC(2020, 0, 10);
    const monday = Date.UTC(2020, 0, 13);
    const base = barsAt('1h', [friday + 23 * H, monday, monday + H]);
    const daily = barsAt('1d', [friday, monday]);
    const [aligned] = alignToBase(base, daily, [Float64Array.from([5, 6])]);
    expect([...aligned]).toEqual([5, 5, 5]);
    expect([...alignmentIndex(base.timestamps, H, base.timestamps, H)]).toEqual([0, 1, 2]);
  });

  it('should reject columns whose length does not match the higher series', () => {
    const base = barsAt('1h', [0]);
    const higher = barsAt('4h', [0, 4 * H]);
    expect(() => alignToBase(base, higher, [new Float64Array(1)])).toThrow(RangeError);
  });
});
