import type { OhlcvSeries } from '../data/ohlcv.js';
import { KtrdrError } from '../errors.js';
import { findPivots, type Pivots, type ZigZagPrice } from '../indicators/zigzag.js';
import { LABEL_BUY, LABEL_HOLD, LABEL_SELL } from './label-classes.js';

export interface ZigZagLabelOptions {
  /** Minimum swing as a fraction, 0 < t < 1 (0.03 = 3 %). */
  readonly threshold: number;
  /** `close` (default) is the original KTRDR labeler; `high_low` swings on highs and lows like TTR's ZigZag. */
  readonly price?: ZigZagPrice;
}

/** The original labeler refused fewer bars than this. */
export const ZIGZAG_LABELS_MIN_BARS = 3;

/**
 * ZigZag segment labels, one per bar: bars strictly between two consecutive pivots are BUY when the later pivot is
 * higher and SELL otherwise (equal counts as SELL); pivot bars and the bars after the last pivot are HOLD. The last
 * pivot is provisional, so the final leg is labelled against an unconfirmed extreme: these are hindsight labels on
 * purpose, a "perfect teacher", and must never leak into features.
 */
export function zigzagSegmentLabels(series: OhlcvSeries, options: ZigZagLabelOptions): Uint8Array {
  const { threshold } = options;
  if (!(threshold > 0 && threshold < 1)) {
    throw new KtrdrError('LABEL_PARAMS_INVALID', `ZigZag label threshold must be a fraction with 0 < t < 1, got ${threshold}`, {
      details: { threshold },
      hint: 'Write 3 % as 0.03.',
    });
  }
  const n = series.close.length;
  if (n < ZIGZAG_LABELS_MIN_BARS) {
    throw new KtrdrError('DATA_INSUFFICIENT', `Insufficient data for ZigZag labels: ${n} bars available, ${ZIGZAG_LABELS_MIN_BARS} required`, {
      details: { available: n, required: ZIGZAG_LABELS_MIN_BARS },
    });
  }
  return segmentLabels(n, findPivots(series, { threshold, price: options.price ?? 'close' }));
}

/** Labels `length` bars from pivots in bar order (see zigzagSegmentLabels). */
export function segmentLabels(length: number, pivots: Pivots): Uint8Array {
  const labels = new Uint8Array(length).fill(LABEL_HOLD);
  const { indices, prices } = pivots;
  for (let k = 0; k + 1 < indices.length; k++) {
    const label = prices[k + 1] > prices[k] ? LABEL_BUY : LABEL_SELL;
    labels.fill(label, indices[k] + 1, indices[k + 1]);
  }
  return labels;
}
