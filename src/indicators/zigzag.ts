import { z } from 'zod';
import type { OhlcvSeries } from '../data/ohlcv.js';
import { idNumber } from './params.js';
import { nanArray } from './rolling.js';
import { defineIndicator } from './types.js';

/**
 * The ZigZag pivot engine shared by the ZigZag indicator and the segment labels.
 *
 * One swing-tracking algorithm: up-swings follow highs and down-swings follow lows (with `close` prices both are the
 * close). A provisional extreme follows the swing; when price retreats from it by at least `threshold` (a fraction),
 * the extreme is confirmed as a pivot and the reversing bar's opposite price starts the next swing. Bar 0 is always
 * the first pivot and the last provisional extreme is always the last one, so the final leg is unconfirmed (look-ahead
 * by design: these pivots are teachers, never features).
 *
 * The two sources this reproduces, TTR's `ZigZag` (the `high_low` fixtures) and the original KTRDR labeler (`close`),
 * run this same algorithm but differ in three places, which are options here rather than two engines:
 * see {@link ZigZagRules}.
 */

export const PIVOT_HIGH = 1;
export const PIVOT_LOW = -1;

/** Pivots in bar order. A bar that completes a reversal by itself (an outside bar) appears twice, once per kind. */
export interface Pivots {
  readonly indices: Int32Array;
  readonly prices: Float64Array;
  /**
   * PIVOT_HIGH (1) or PIVOT_LOW (−1). The one exception is 0: a lone bar-0 pivot when no move ever reached the
   * threshold, which is neither a high nor a low.
   */
  readonly kinds: Int8Array;
}

export interface ZigZagRules {
  /**
   * What the first move is measured from, before any trend exists (bar 0 is the first pivot either way, at its
   * midpoint (H + L)/2, which is the close in `close` mode).
   * - `bar1_midpoint`: TTR's C routine seeds its running extreme with bar 1's midpoint and does not move it until a
   *   trend exists; measuring from bar 0 gives different pivots (87 instead of 85 on the S&P fixture). Bar 1's
   *   midpoint is also the provisional last pivot when no trend ever starts.
   * - `start_pivot`: KTRDR measures the first move from bar 0's own price, the pivot it has already marked.
   */
  readonly firstMoveFrom: 'bar1_midpoint' | 'start_pivot';
  /**
   * Whether a price equal to the provisional extreme moves it to the later bar: TTR (`lastExtreme = TRUE`) does,
   * KTRDR (strict `>`) keeps the earlier bar.
   */
  readonly equalExtreme: 'later' | 'earlier';
  /**
   * How a move is compared with the threshold. The two forms are equal in exact arithmetic but round differently,
   * and exact 5 % moves are common on two-decimal prices (3.40 → 3.23 passes one form and fails the other), so each
   * source is reproduced bit-for-bit only with its own form.
   * - `scaled_extreme` (TTR): low ≤ extreme·(1 − t), high ≥ extreme·(1 + t).
   * - `relative_change` (KTRDR): (price − extreme)/extreme ≤ −t or ≥ t.
   */
  readonly thresholdTest: 'scaled_extreme' | 'relative_change';
}

export const TTR_ZIGZAG_RULES: ZigZagRules = {
  firstMoveFrom: 'bar1_midpoint',
  equalExtreme: 'later',
  thresholdTest: 'scaled_extreme',
};

export const KTRDR_ZIGZAG_RULES: ZigZagRules = {
  firstMoveFrom: 'start_pivot',
  equalExtreme: 'earlier',
  thresholdTest: 'relative_change',
};

/** `high_low`: TTR's ZigZag on highs and lows. `close`: the original KTRDR labeler on closes. */
export type ZigZagPrice = 'high_low' | 'close';

export interface ZigZagOptions {
  /** Minimum reversal as a fraction of the extreme, 0 < t < 1 (0.05 = 5 %). */
  readonly threshold: number;
  readonly price: ZigZagPrice;
}

export function rulesForPrice(price: ZigZagPrice): ZigZagRules {
  return price === 'high_low' ? TTR_ZIGZAG_RULES : KTRDR_ZIGZAG_RULES;
}

export function findPivots(series: OhlcvSeries, options: ZigZagOptions): Pivots {
  const rules = rulesForPrice(options.price);
  if (options.price === 'close') return zigzagPivots(series.close, series.close, options.threshold, rules);
  return zigzagPivots(series.high, series.low, options.threshold, rules);
}

/**
 * Runs the engine on explicit high and low columns (pass the same array twice for a single price). Fewer than two
 * bars have no swing and give no pivots.
 */
export function zigzagPivots(high: Float64Array, low: Float64Array, threshold: number, rules: ZigZagRules): Pivots {
  const n = high.length;
  const out = new PivotBuffer(Math.max(16, n >> 4));
  if (n < 2) return out.finish();

  const relative = rules.thresholdTest === 'relative_change';
  const later = rules.equalExtreme === 'later';
  const upFactor = 1 + threshold;
  const downFactor = 1 - threshold;
  const risesEnough = (price: number, from: number) => (relative ? (price - from) / from >= threshold : price >= from * upFactor);
  const fallsEnough = (price: number, from: number) => (relative ? (price - from) / from <= -threshold : price <= from * downFactor);

  const startPrice = (high[0] + low[0]) / 2;
  out.push(0, startPrice, 0);
  // The provisional extreme; before a trend exists it is the reference the first move is measured from.
  let extremeIndex = 0;
  let extreme = startPrice;
  let extremeIsStart = true;
  if (rules.firstMoveFrom === 'bar1_midpoint') {
    extremeIndex = 1;
    extreme = (high[1] + low[1]) / 2;
    extremeIsStart = false;
  }
  let direction = 0;

  for (let i = 1; i < n; i++) {
    const hi = high[i];
    const lo = low[i];
    if (direction === 0) {
      if (risesEnough(hi, extreme)) direction = 1;
      else if (fallsEnough(lo, extreme)) direction = -1;
      else continue;
      out.kinds[0] = -direction;
    }
    // Reversals are tested against the extreme as it stood before this bar, so an outside bar can both extend the
    // swing and reverse it; testing against the updated extreme gives 97 pivots instead of 85 on the S&P fixture.
    const before = extreme;
    if (direction === 1) {
      if (hi > extreme || (later && hi === extreme)) {
        extremeIndex = i;
        extreme = hi;
        extremeIsStart = false;
      }
      if (fallsEnough(lo, before)) {
        out.push(extremeIndex, extreme, PIVOT_HIGH);
        extremeIndex = i;
        extreme = lo;
        direction = -1;
      }
    } else {
      if (lo < extreme || (later && lo === extreme)) {
        extremeIndex = i;
        extreme = lo;
        extremeIsStart = false;
      }
      if (risesEnough(hi, before)) {
        out.push(extremeIndex, extreme, PIVOT_LOW);
        extremeIndex = i;
        extreme = hi;
        direction = 1;
      }
    }
  }

  if (!extremeIsStart) {
    let kind = direction;
    if (direction === 0) {
      kind = extreme > startPrice ? PIVOT_HIGH : PIVOT_LOW;
      out.kinds[0] = -kind;
    }
    out.push(extremeIndex, extreme, kind);
  }
  return out.finish();
}

/**
 * The ZigZag line: linear interpolation between consecutive pivots, NaN after the last one. A line has one value per
 * bar, so where an outside bar holds two pivots the later one stands for the bar, as in TTR 0.24.3's output.
 */
export function zigzagLine(length: number, pivots: Pivots): Float64Array {
  const out = nanArray(length);
  const { indices, prices } = pivots;
  let fromIndex = -1;
  let fromPrice = NaN;
  for (let k = 0; k < indices.length; k++) {
    const toIndex = indices[k];
    if (k + 1 < indices.length && indices[k + 1] === toIndex) continue;
    const toPrice = prices[k];
    if (fromIndex >= 0) {
      const span = toIndex - fromIndex;
      for (let j = fromIndex + 1; j < toIndex; j++) out[j] = fromPrice + (toPrice - fromPrice) * ((j - fromIndex) / span);
    }
    out[toIndex] = toPrice;
    fromIndex = toIndex;
    fromPrice = toPrice;
  }
  return out;
}

/** Growable typed-array storage, so the engine allocates no per-pivot objects. */
class PivotBuffer {
  indices: Int32Array;
  prices: Float64Array;
  kinds: Int8Array;
  length = 0;

  constructor(capacity: number) {
    this.indices = new Int32Array(capacity);
    this.prices = new Float64Array(capacity);
    this.kinds = new Int8Array(capacity);
  }

  push(index: number, price: number, kind: number): void {
    if (this.length === this.indices.length) this.grow();
    this.indices[this.length] = index;
    this.prices[this.length] = price;
    this.kinds[this.length] = kind;
    this.length++;
  }

  finish(): Pivots {
    return {
      indices: this.indices.slice(0, this.length),
      prices: this.prices.slice(0, this.length),
      kinds: this.kinds.slice(0, this.length),
    };
  }

  private grow(): void {
    const capacity = this.indices.length * 2;
    const indices = new Int32Array(capacity);
    indices.set(this.indices);
    const prices = new Float64Array(capacity);
    prices.set(this.prices);
    const kinds = new Int8Array(capacity);
    kinds.set(this.kinds);
    this.indices = indices;
    this.prices = prices;
    this.kinds = kinds;
  }
}

export const zigzagIndicator = defineIndicator({
  type: 'zigzag',
  description:
    'ZigZag line through swing pivots (reversal ≥ `threshold`, a fraction), interpolated between pivots; NaN after ' +
    'the last. Uses future bars: never use it as a feature.',
  outputs: ['value'],
  params: z.strictObject({
    threshold: z.number().gt(0).lt(1).default(0.05),
    price: z.enum(['high_low', 'close']).default('high_low'),
  }),
  defaultId: (p) => `zigzag_${idNumber(p.threshold)}${p.price === 'high_low' ? '' : `_${p.price}`}`,
  compute: (series, p) => ({ value: zigzagLine(series.close.length, findPivots(series, p)) }),
});
