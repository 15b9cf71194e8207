import { describe, expect, it } from 'vitest';
import type { OhlcvSeries } from '../../src/data/ohlcv.js';
import { findPivots } from '../../src/indicators/zigzag.js';
import { LABEL_BUY, LABEL_HOLD, LABEL_SELL, formatLabelDistribution, labelDistribution } from '../../src/labels/label-classes.js';
import { segmentLabels, zigzagSegmentLabels } from '../../src/labels/zigzag-labels.js';
import { randomWalk, roundedWalk, seriesFrom } from '../indicators/series.js';
import { errorOf } from './label-helpers.js';

const B = LABEL_BUY;
const H = LABEL_HOLD;
const S = LABEL_SELL;

/**
 * The original labeler, transcribed line by line from the reference (ktrdr-pipeline.md §6.1, steps 1 and 2) with a
 * marked-bar array, un-marking and all, so the engine is checked against the described algorithm rather than itself.
 */
function originalSegmentLabels(p: Float64Array, t: number): number[] {
  const n = p.length;
  const marked = new Array<boolean>(n).fill(false);
  marked[0] = true;
  let last = 0;
  let direction: 'undecided' | 'up' | 'down' = 'undecided';
  for (let i = 1; i < n; i++) {
    const change = (p[i] - p[last]) / p[last];
    if (direction === 'undecided') {
      if (Math.abs(change) >= t) {
        direction = change > 0 ? 'up' : 'down';
        marked[i] = true;
        last = i;
      }
    } else if (direction === 'up') {
      if (p[i] > p[last]) {
        if (last !== 0) marked[last] = false;
        marked[i] = true;
        last = i;
      } else if (change <= -t) {
        direction = 'down';
        marked[i] = true;
        last = i;
      }
    } else if (p[i] < p[last]) {
      if (last !== 0) marked[last] = false;
      marked[i] = true;
      last = i;
    } else if (change >= t) {
      direction = 'up';
      marked[i] = true;
      last = i;
    }
  }
  const labels = new Array<number>(n).fill(H);
  const pivots = marked.flatMap((isPivot, i) => (isPivot ? [i] : []));
  for (let k = 0; k + 1 < pivots.length; k++) {
    for (let i = pivots[k] + 1; i < pivots[k + 1]; i++) labels[i] = p[pivots[k + 1]] > p[pivots[k]] ? B : S;
  }
  return labels;
}

describe(zigzagSegmentLabels.name, () => {
  it('should label the bars between pivots by the direction of the leg, pivots and tail HOLD', () => {
    // Pivots at 0 (100), 2 (111), 5 (95) and 7 (106, provisional); bar 8 is the tail.
    const series = seriesFrom({ close: [100, 105, 111, 108, 99, 95, 97, 106, 104] });
    const labels = zigzagSegmentLabels(series, { threshold: 0.1 });
    expect(labels).toBeInstanceOf(Uint8Array);
    expect(Array.from(labels)).toEqual([H, B, H, S, S, H, B, H, H]);
  });

  it('should leave everything HOLD when no move reaches the threshold', () => {
    const series = seriesFrom({ close: [100, 101, 99, 100.5, 100] });
    expect(Array.from(zigzagSegmentLabels(series, { threshold: 0.05 }))).toEqual([H, H, H, H, H]);
  });

  it('should count an equal-price leg as SELL', () => {
    expect(
      Array.from(segmentLabels(5, { indices: Int32Array.from([0, 4]), prices: Float64Array.from([10, 10]), kinds: Int8Array.from([-1, 1]) })),
    ).toEqual([H, S, S, S, H]);
  });

  it.each([
    ['a random walk', randomWalk(3000, 3)],
    ['a two-decimal walk full of ties and exact threshold moves', roundedWalk(3000, 5)],
  ] as [string, OhlcvSeries][])('should reproduce the original close-mode algorithm on %s', (_name, series) => {
    for (const threshold of [0.005, 0.01, 0.02, 0.03, 0.05, 0.1, 0.25]) {
      expect(Array.from(zigzagSegmentLabels(series, { threshold, price: 'close' }))).toEqual(originalSegmentLabels(series.close, threshold));
    }
  });

  it('should swing on highs and lows in high_low mode, with no label between the two pivots of an outside bar', () => {
    const series = seriesFrom({
      close: [100, 100, 109, 101, 102],
      high: [101, 101, 112, 115, 104],
      low: [99, 99, 108, 100, 101],
    });
    // Pivots: bar 0 (mid 100), bar 3 high 115, bar 3 low 100 (provisional).
    expect(Array.from(zigzagSegmentLabels(series, { threshold: 0.1, price: 'high_low' }))).toEqual([H, B, B, H, H]);
    // On closes alone the same bars never move 10 %.
    expect(Array.from(zigzagSegmentLabels(series, { threshold: 0.1, price: 'close' }))).toEqual([H, H, H, H, H]);
  });

  it('should refuse a threshold outside 0 < t < 1 with LABEL_PARAMS_INVALID', () => {
    const series = randomWalk(10);
    for (const threshold of [0, -0.1, 1, 3, NaN]) {
      expect(errorOf(() => zigzagSegmentLabels(series, { threshold })).code).toBe('LABEL_PARAMS_INVALID');
    }
  });

  it('should refuse fewer than 3 bars with DATA_INSUFFICIENT, as the original did', () => {
    const error = errorOf(() => zigzagSegmentLabels(randomWalk(2), { threshold: 0.05 }));
    expect(error.code).toBe('DATA_INSUFFICIENT');
    expect(error.details).toEqual({ available: 2, required: 3 });
  });
});

describe(labelDistribution.name, () => {
  it('should count and share out the classes', () => {
    const distribution = labelDistribution(Uint8Array.from([B, B, H, S, B, S, S, S]));
    expect(distribution).toEqual({
      total: 8,
      counts: { BUY: 3, HOLD: 1, SELL: 4 },
      fractions: { BUY: 0.375, HOLD: 0.125, SELL: 0.5 },
    });
    expect(formatLabelDistribution(distribution)).toBe('BUY=37.5%, HOLD=12.5%, SELL=50.0%');
  });

  it("should count any labeler's classes by name, in class order", () => {
    const distribution = labelDistribution(Float64Array.from([3, 0, 3, 2]), ['TRENDING_UP', 'TRENDING_DOWN', 'RANGING', 'VOLATILE']);
    expect(distribution.counts).toEqual({ TRENDING_UP: 1, TRENDING_DOWN: 0, RANGING: 1, VOLATILE: 2 });
    expect(formatLabelDistribution(distribution)).toBe('TRENDING_UP=25.0%, TRENDING_DOWN=0.0%, RANGING=25.0%, VOLATILE=50.0%');
  });

  it('should give zero fractions for no labels', () => {
    expect(labelDistribution(new Int32Array(0))).toEqual({
      total: 0,
      counts: { BUY: 0, HOLD: 0, SELL: 0 },
      fractions: { BUY: 0, HOLD: 0, SELL: 0 },
    });
  });

  it('should find HOLD only on pivot bars and the tail after the last pivot', () => {
    const series = randomWalk(5000, 9);
    const { counts, fractions } = labelDistribution(zigzagSegmentLabels(series, { threshold: 0.03 }));
    const pivots = findPivots(series, { threshold: 0.03, price: 'close' });
    const last = pivots.indices[pivots.indices.length - 1];
    expect(counts.HOLD).toBe(new Set(pivots.indices).size + (series.close.length - 1 - last));
    expect(fractions.BUY + fractions.HOLD + fractions.SELL).toBeCloseTo(1, 12);
  });
});
