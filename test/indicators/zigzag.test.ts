import { describe, expect, it } from 'vitest';
import {
  KTRDR_ZIGZAG_RULES,
  PIVOT_HIGH,
  PIVOT_LOW,
  TTR_ZIGZAG_RULES,
  findPivots,
  zigzagLine,
  zigzagPivots,
  type Pivots,
} from '../../src/indicators/zigzag.js';
import { seriesFrom } from './series.js';

const f64 = (values: number[]) => Float64Array.from(values);
const table = (pivots: Pivots) => Array.from(pivots.indices, (index, k) => [index, pivots.prices[k], pivots.kinds[k]]);

describe('ZigZag pivot engine', () => {
  it('should mark bar 0, each confirmed swing and the last provisional extreme (close mode)', () => {
    const close = [100, 105, 111, 108, 99, 95, 97, 106, 104];
    expect(table(findPivots(seriesFrom({ close }), { threshold: 0.1, price: 'close' }))).toEqual([
      [0, 100, PIVOT_LOW],
      [2, 111, PIVOT_HIGH],
      [5, 95, PIVOT_LOW],
      [7, 106, PIVOT_HIGH],
    ]);
  });

  it('should move an equal extreme to the later bar only under the later-extreme rule', () => {
    const close = f64([100, 111, 111, 99]);
    expect(Array.from(zigzagPivots(close, close, 0.1, KTRDR_ZIGZAG_RULES).indices)).toEqual([0, 1, 3]);
    const later = { ...KTRDR_ZIGZAG_RULES, equalExtreme: 'later' } as const;
    expect(Array.from(zigzagPivots(close, close, 0.1, later).indices)).toEqual([0, 2, 3]);
  });

  it('should measure the first move from bar 1 (TTR) or from the bar-0 pivot (KTRDR)', () => {
    const close = f64([100, 91, 100.5]);
    // From bar 1's 91, 100.5 is a 10.4 % rise; from bar 0's 100 it is nothing, so KTRDR has only the start pivot.
    expect(table(zigzagPivots(close, close, 0.1, TTR_ZIGZAG_RULES))).toEqual([
      [0, 100, PIVOT_LOW],
      [2, 100.5, PIVOT_HIGH],
    ]);
    expect(table(zigzagPivots(close, close, 0.1, KTRDR_ZIGZAG_RULES))).toEqual([[0, 100, 0]]);
  });

  it('should end on bar 1 when no trend ever starts under the TTR start rule', () => {
    const close = f64([100, 101, 102, 101]);
    expect(table(zigzagPivots(close, close, 0.1, TTR_ZIGZAG_RULES))).toEqual([
      [0, 100, PIVOT_LOW],
      [1, 101, PIVOT_HIGH],
    ]);
  });

  it('should apply each threshold arithmetic exactly (3.40 → 3.23 is 5 % in one form, 4.99…% in the other)', () => {
    const close = f64([3.0, 3.4, 3.23]);
    const scaled = { ...KTRDR_ZIGZAG_RULES, thresholdTest: 'scaled_extreme' } as const;
    expect(Array.from(zigzagPivots(close, close, 0.05, scaled).indices)).toEqual([0, 1, 2]);
    expect(Array.from(zigzagPivots(close, close, 0.05, KTRDR_ZIGZAG_RULES).indices)).toEqual([0, 1]);
  });

  it('should emit both pivots of an outside bar that extends the swing and reverses it', () => {
    const series = seriesFrom({
      close: [100, 100, 110, 101, 102],
      high: [101, 101, 112, 115, 104],
      low: [99, 99, 108, 100, 101],
    });
    const pivots = findPivots(series, { threshold: 0.1, price: 'high_low' });
    expect(table(pivots)).toEqual([
      [0, 100, PIVOT_LOW],
      [3, 115, PIVOT_HIGH],
      [3, 100, PIVOT_LOW],
    ]);
    // The line has one value per bar, so the outside bar shows its later pivot, as TTR's line does.
    expect(Array.from(zigzagLine(5, pivots))).toEqual([100, 100, 100, 100, NaN]);
  });

  it('should test a reversal against the extreme as it stood before the bar', () => {
    // Bar 3 makes a new high of 120 with a low of 107: within 10 % of the previous high 118 (floor 106.2), so no
    // reversal there; against its own 120 (floor 108) it would reverse at once.
    const series = seriesFrom({
      close: [100, 100, 115, 110, 100],
      high: [100, 101, 118, 120, 101],
      low: [100, 99, 112, 107, 99],
    });
    const pivots = findPivots(series, { threshold: 0.1, price: 'high_low' });
    expect(Array.from(pivots.indices)).toEqual([0, 3, 4]);
    expect(Array.from(pivots.prices)).toEqual([100, 120, 99]);
  });

  it('should have no pivots below two bars', () => {
    expect(findPivots(seriesFrom({ close: [5] }), { threshold: 0.05, price: 'high_low' }).indices.length).toBe(0);
    expect(findPivots(seriesFrom({ close: [] }), { threshold: 0.05, price: 'close' }).indices.length).toBe(0);
  });

  it('should grow its buffers past any initial capacity', () => {
    const close = f64(Array.from({ length: 2000 }, (_, i) => (i % 2 === 0 ? 100 : 150)));
    expect(zigzagPivots(close, close, 0.2, KTRDR_ZIGZAG_RULES).indices.length).toBe(2000);
  });
});

describe('ZigZag line', () => {
  it('should interpolate linearly between pivots and be NaN after the last one', () => {
    const pivots: Pivots = { indices: Int32Array.from([0, 4, 6]), prices: f64([10, 20, 16]), kinds: Int8Array.from([-1, 1, -1]) };
    expect(Array.from(zigzagLine(8, pivots))).toEqual([10, 12.5, 15, 17.5, 20, 18, 16, NaN]);
  });
});
