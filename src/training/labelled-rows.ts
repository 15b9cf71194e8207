import { selectRows, type FeatureMatrix } from '../features/index.js';
import type { LabelSet } from '../labels/label-set.js';

/** One symbol's feature rows that have a label, with the label of each and what purging and weighting need. */
export interface LabelledRows {
  readonly matrix: FeatureMatrix;
  /** Class index or target per row. */
  readonly values: Float64Array;
  /** Per row, the last base bar its label reads; absent when the labeler's look-ahead is unbounded (ZigZag). */
  readonly lastBarRead?: Int32Array;
  /** Per row sample weight, when the labeler produced weights. */
  readonly weights?: Float64Array;
  /** Feature rows dropped because their bar has no label. */
  readonly unlabelledRows: number;
}

/**
 * Pairs feature rows with the labels of their base bars and drops the rows without one (bars whose label needs data
 * beyond the end, non-events of a CUSUM filter, bars outside any regime segment): features and labels lose the same
 * rows, so no row is trained on a label it does not have and no label on features it does not have.
 */
export function labelRows(matrix: FeatureMatrix, labels: LabelSet): LabelledRows {
  const keep = new Uint8Array(matrix.rows);
  for (let r = 0; r < matrix.rows; r++) keep[r] = Number.isNaN(labels.values[matrix.barIndex[r]]) ? 0 : 1;
  const kept = selectRows(matrix, keep);
  const perRow = <T extends Float64Array | Int32Array>(perBar: T, make: (n: number) => T): T => {
    const out = make(kept.rows);
    for (let r = 0; r < kept.rows; r++) out[r] = perBar[kept.barIndex[r]];
    return out;
  };
  return {
    matrix: kept,
    values: perRow(labels.values, (n) => new Float64Array(n)),
    ...(labels.lastBarRead && { lastBarRead: perRow(labels.lastBarRead, (n) => new Int32Array(n)) }),
    ...(labels.weights && { weights: perRow(labels.weights, (n) => new Float64Array(n)) }),
    unlabelledRows: matrix.rows - kept.rows,
  };
}
