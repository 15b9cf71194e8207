import { describe, expect, it } from 'vitest';
import { parseOhlcvCsv } from '../../src/data/csv.js';
import { resample } from '../../src/data/resample.js';
import { generateSyntheticSeries } from '../../src/data/synth.js';
import { periodStart } from '../../src/data/timeframe.js';

describe(resample.name, () => {
  it('should aggregate a small hand-made example exactly', () => {
    const csv = [
      'timestamp,open,high,low,close,volume',
      '2020-01-06T00:00:00Z,1,3,0.5,2,10',
      '2020-01-06T01:00:00Z,2,4,1.5,3,20',
      '2020-01-06T03:00:00Z,3,3.5,1,1.25,5',
      '2020-01-06T04:00:00Z,1.25,2,1,1.5,7',
    ].join('\n');
    const hourly = parseOhlcvCsv(Buffer.from(csv), { file: 'x', symbol: 'X', timeframe: '1h' });
    const fourHour = resample(hourly, '4h');
    expect(fourHour.timeframe).toBe('4h');
    expect([...fourHour.timestamps]).toEqual([Date.UTC(2020, 0, 6, 0), Date.UTC(2020, 0, 6, 4)]);
    expect([...fourHour.open]).toEqual([1, 1.25]);
    expect([...fourHour.high]).toEqual([4, 2]);
    expect([...fourHour.low]).toEqual([0.5, 1]);
    expect([...fourHour.close]).toEqual([1.25, 1.5]);
    expect([...fourHour.volume]).toEqual([35, 7]);
  });

  it('should match a brute-force aggregation of synthetic hourly data for 4h, 1d and 1w', () => {
    const hourly = generateSyntheticSeries({ symbol: 'EURUSD', timeframe: '1h', bars: 2000, seed: 3 });
    for (const timeframe of ['4h', '1d', '1w']) {
      const out = resample(hourly, timeframe);
      const groups = new Map<number, number[]>();
      hourly.timestamps.forEach((t, i) => {
        const key = periodStart(t, timeframe);
        groups.set(key, [...(groups.get(key) ?? []), i]);
      });
      expect([...out.timestamps]).toEqual([...groups.keys()]);
      [...groups.values()].forEach((indices, k) => {
        expect(out.open[k]).toBe(hourly.open[indices[0]]);
        expect(out.close[k]).toBe(hourly.close[indices[indices.length - 1]]);
        expect(out.high[k]).toBe(Math.max(...indices.map((i) => hourly.high[i])));
        expect(out.low[k]).toBe(Math.min(...indices.map((i) => hourly.low[i])));
        expect(out.volume[k]).toBe(indices.reduce((sum, i) => sum + hourly.volume[i], 0));
      });
    }
  });

  it('should refuse targets that are not whole multiples of the source', () => {
    const hourly = generateSyntheticSeries({ symbol: 'X', timeframe: '1h', bars: 10, seed: 1 });
    expect(() => resample(hourly, '90m')).toThrow(expect.objectContaining({ code: 'VALIDATION_FAILED' }));
    expect(() => resample(hourly, '30m')).toThrow(expect.objectContaining({ code: 'VALIDATION_FAILED' }));
  });
});
