/**
 * What every labeler returns: one value per base bar, and what the rest of the system needs to know about them.
 *
 * Conventions (shared by all labelers):
 * - `values[i]` is bar i's class index (classification) or target (regression); NaN means "no label": the bar needs
 *   bars beyond the data, lies outside an event filter, or outside any segment. The pipeline drops those rows from
 *   features *and* labels together and reports the counts, so a row is never trained on a label it does not have.
 * - `lastBarRead[i]` is the last bar the label of bar i depends on (−1 where unlabelled). The chronological split
 *   purges a training or validation row whose label reads a bar of the next split. Labelers whose look-ahead has no
 *   bound (ZigZag: the last pivot is provisional and every segment depends on later confirmation) leave it undefined.
 * - `classes` is the labeler's class list in index order; null for a regression target.
 */
export interface LabelSet {
  readonly classes: readonly string[] | null;
  readonly values: Float64Array;
  readonly lastBarRead?: Int32Array;
  /** Per-bar sample weights (mean 1 over the labelled bars), NaN where unlabelled; only when asked for. */
  readonly weights?: Float64Array;
  readonly unlabelled: UnlabelledCounts;
}

/** Bars without a label, by reason. */
export interface UnlabelledCounts {
  /** Bars whose label would need bars after the end of the data. */
  readonly beyondData: number;
  /** Bars left out on purpose: not a CUSUM event, or outside any regime segment. */
  readonly filtered: number;
}

/** Bars carrying a label (non-NaN value). */
export function countLabelled(values: Float64Array): number {
  let count = 0;
  for (const value of values) if (!Number.isNaN(value)) count++;
  return count;
}
