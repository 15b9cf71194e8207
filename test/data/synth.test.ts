import { describe, expect, it } from 'vitest';
import { formatOhlcvCsv, parseOhlcvCsv } from '../../src/data/csv.js';
import { generateSyntheticSeries } from '../../src/data/synth.js';

describe(generateSyntheticSeries.name, () => {
  const options = { symbol: 'EURUSD', timeframe: '1h', bars: 5000, seed: 7 };

  it('should be deterministic for a seed and differ across seeds', () => {
    expect(generateSyntheticSeries(options)).toEqual(generateSyntheticSeries(options));
    expect(generateSyntheticSeries({ ...options, seed: 8 }).close).not.toEqual(generateSyntheticSeries(options).close);
  });

  it('should produce valid OHLCV bars that pass the CSV validator', () => {
    const series = generateSyntheticSeries(options);
    const n = series.timestamps.length;
    expect(n).toBe(5000);
    for (let i = 0; i < n; i++) {
      expect(series.high[i]).toBeGreaterThanOrEqual(Math.max(series.open[i], series.close[i]));
      expect(series.low[i]).toBeLessThanOrEqual(Math.min(series.open[i], series.close[i]));
      expect(series.volume[i]).toBeGreaterThan(0);
      expect(Number.isInteger(series.volume[i])).toBe(true);
      if (i > 0) expect(series.timestamps[i]).toBeGreaterThan(series.timestamps[i - 1]);
    }
    expect(parseOhlcvCsv(Buffer.from(formatOhlcvCsv(series)), { file: 'x', symbol: 'EURUSD', timeframe: '1h' })).toEqual(series);
  });

  it('should skip weekends and start on the requested bar', () => {
    const series = generateSyntheticSeries({ ...options, start: '2018-01-05T20:00:00Z' }); // a Friday evening
    expect(series.timestamps[0]).toBe(Date.UTC(2018, 0, 5, 20));
    for (const t of series.timestamps) expect([1, 2, 3, 4, 5]).toContain(new Date(t).getUTCDay());
    expect(series.timestamps[4]).toBe(Date.UTC(2018, 0, 8, 0)); // Monday 00:00 follows Friday 23:00
  });

  it('should look like FX: prices near the start price with changing volatility', () => {
    const series = generateSyntheticSeries({ ...options, bars: 20000 });
    const returns = Array.from({ length: series.close.length - 1 }, (_, i) => Math.log(series.close[i + 1] / series.close[i]));
    const window = 500;
    const vols: number[] = [];
    for (let i = 0; i + window <= returns.length; i += window) {
      const chunk = returns.slice(i, i + window);
      vols.push(Math.sqrt(chunk.reduce((s, r) => s + r * r, 0) / window));
    }
    expect(Math.max(...vols) / Math.min(...vols)).toBeGreaterThan(1.8); // regimes are visible
    expect(Math.min(...series.low)).toBeGreaterThan(0.5);
    expect(Math.max(...series.high)).toBeLessThan(2.5);
  });

  it('should reject bad options', () => {
    expect(() => generateSyntheticSeries({ ...options, bars: 0 })).toThrow(expect.objectContaining({ code: 'VALIDATION_FAILED' }));
    expect(() => generateSyntheticSeries({ ...options, seed: -1 })).toThrow(expect.objectContaining({ code: 'VALIDATION_FAILED' }));
    expect(() => generateSyntheticSeries({ ...options, symbol: '../x' })).toThrow(expect.objectContaining({ code: 'INVALID_NAME' }));
    expect(() => generateSyntheticSeries({ ...options, timeframe: '1w' })).toThrow(expect.objectContaining({ code: 'VALIDATION_FAILED' }));
    expect(() => generateSyntheticSeries({ ...options, start: 'soon' })).toThrow(expect.objectContaining({ code: 'VALIDATION_FAILED' }));
  });
});
