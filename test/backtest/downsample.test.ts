import { describe, expect, it } from 'vitest';
import { downsampleSeries } from '../../src/backtest/downsample.js';
import { SeededRandom } from '../../src/util/random.js';

function series(values: number[]) {
  return { timestamps: Float64Array.from(values, (_, i) => i * 1000), values: Float64Array.from(values) };
}

describe('downsampleSeries', () => {
  it('should return the input itself when points ≥ its length', () => {
    const input = series([1, 2, 3]);
    const output = downsampleSeries(input.timestamps, input.values, 3);
    expect(output.timestamps).toBe(input.timestamps);
    expect(output.values).toBe(input.values);
  });

  it('should keep the first, the last and each bucket’s min and max in time order', () => {
    // 9 points → first + last + 3 buckets over the 8 interior bars: [9, 1], [4, 4, 7], [0, 3, 8].
    const input = series([5, 9, 1, 4, 4, 7, 0, 3, 8, 6]);
    const output = downsampleSeries(input.timestamps, input.values, 9);
    expect([...output.values]).toEqual([5, 9, 1, 4, 7, 0, 8, 6]);
    expect([...output.timestamps]).toEqual([0, 1, 2, 3, 5, 6, 8, 9].map((i) => i * 1000));
  });

  it('should keep every bucket extreme of a long random walk', () => {
    const random = new SeededRandom(3);
    const values: number[] = [];
    let level = 1;
    for (let i = 0; i < 10_000; i++) values.push((level *= 1 + 0.01 * random.nextGaussian()));
    const input = series(values);
    const output = downsampleSeries(input.timestamps, input.values, 202);
    expect(output.values.length).toBeLessThanOrEqual(202);
    expect(output.values[0]).toBe(values[0]);
    expect(output.values[output.values.length - 1]).toBe(values[values.length - 1]);
    expect(Math.min(...output.values)).toBe(Math.min(...values));
    expect(Math.max(...output.values)).toBe(Math.max(...values));
    // 100 buckets over the 9,998 interior points: each bucket's extremes are in the output with their timestamps.
    for (let b = 0; b < 100; b++) {
      const start = 1 + Math.floor((b * 9998) / 100);
      const end = 1 + Math.floor(((b + 1) * 9998) / 100);
      const bucket = values.slice(start, end);
      for (const extreme of [Math.min(...bucket), Math.max(...bucket)]) {
        const at = output.values.indexOf(extreme);
        expect(at).toBeGreaterThan(0);
        expect(output.timestamps[at]).toBe(input.timestamps[values.indexOf(extreme)]);
      }
    }
    for (let i = 1; i < output.timestamps.length; i++) expect(output.timestamps[i]).toBeGreaterThan(output.timestamps[i - 1]);
  });

  it('should refuse fewer than 2 points', () => {
    const input = series([1, 2, 3]);
    expect(() => downsampleSeries(input.timestamps, input.values, 1)).toThrow(expect.objectContaining({ code: 'VALIDATION_FAILED' }));
  });
});
