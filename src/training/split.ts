import type { FeatureMatrix } from '../features/index.js';
import type { LabelledSet } from '../nn/index.js';

export interface SymbolDataset {
  readonly symbol: string;
  readonly matrix: FeatureMatrix;
  /** Class indices, or real-valued targets (Float64Array) for a regression model. */
  readonly labels: Uint8Array | Float64Array;
  /** Per row, the last base bar its label reads (see `LabelSet.lastBarRead`); absent: look-ahead not bounded. */
  readonly lastBarRead?: Int32Array;
  /** Per row sample weight (uniqueness), when the labeler produced weights. */
  readonly weights?: Float64Array;
}

export interface SplitRatios {
  readonly train: number;
  readonly validation: number;
  readonly test: number;
  /** Extra bars kept clear before each split boundary, on top of the label purge. @defaultValue 0 */
  readonly embargoBars?: number;
}

/** Row ranges [start, end) of one symbol's chronological split. */
export interface SymbolSplit {
  readonly dataset: SymbolDataset;
  readonly train: readonly [number, number];
  readonly validation: readonly [number, number];
  readonly test: readonly [number, number];
  /** Rows dropped at the end of train and of validation so that no label reads the next split's bars. */
  readonly purged: { readonly train: number; readonly validation: number };
}

/**
 * Oldest rows train, then validation, then test; test takes the remainder so no row is lost to rounding.
 *
 * Purging: a label that looks ahead reads bars of the split after its own near the boundary, and training on it
 * would show the network the validation (or test) period. So train (and validation) end before the first row whose
 * label reads the first bar of the next split or a bar within `embargoBars` of it; that row and all later ones of the
 * split are dropped. With a fixed horizon H and consecutive rows this is exactly the last H (+ embargo) rows; with
 * per-label horizons (triple barrier) it is conservative: a later row whose label would be clear is dropped as well,
 * which keeps every split one contiguous range. Labels without a bounded horizon (ZigZag) are purged by the embargo
 * only. The test split is never purged: nothing comes after it.
 */
export function chronologicalSplit(dataset: SymbolDataset, ratios: SplitRatios): SymbolSplit {
  const n = dataset.matrix.rows;
  const trainEnd = Math.floor(n * ratios.train);
  const validationEnd = Math.floor(n * (ratios.train + ratios.validation));
  const embargo = ratios.embargoBars ?? 0;
  const trainKept = purgedEnd(dataset, 0, trainEnd, embargo);
  const validationKept = purgedEnd(dataset, trainEnd, validationEnd, embargo);
  return {
    dataset,
    train: [0, trainKept],
    validation: [trainEnd, validationKept],
    test: [validationEnd, n],
    purged: { train: trainEnd - trainKept, validation: validationEnd - validationKept },
  };
}

/** The end of the rows kept from [start, end): before the first row whose label reaches row `end`'s bar − embargo. */
function purgedEnd(dataset: SymbolDataset, start: number, end: number, embargo: number): number {
  const { matrix, lastBarRead } = dataset;
  if (end >= matrix.rows) return end;
  const boundary = matrix.barIndex[end];
  for (let r = start; r < end; r++) {
    const reads = lastBarRead ? lastBarRead[r] : matrix.barIndex[r];
    if (reads + embargo >= boundary) return r;
  }
  return end;
}

export interface StackedSplits {
  readonly train: LabelledSet;
  readonly validation: LabelledSet;
  readonly test: LabelledSet;
  /** Sample weights of the stacked training rows, when every symbol's labels carry weights. */
  readonly trainWeights?: Float64Array;
}

/** Concatenates each split across symbols (symbol order), so every split holds every symbol's matching period. */
export function stackSplits(splits: readonly SymbolSplit[], features: number): StackedSplits {
  const stack = (part: 'train' | 'validation' | 'test'): LabelledSet => {
    const rows = splits.reduce((sum, s) => sum + (s[part][1] - s[part][0]), 0);
    const x = new Float32Array(rows * features);
    // Class indices stack as integers, exactly as before; regression targets keep their float64 values.
    const y = splits.some((s) => s.dataset.labels instanceof Float64Array) ? new Float64Array(rows) : new Int32Array(rows);
    let offset = 0;
    for (const split of splits) {
      const [start, end] = split[part];
      x.set(split.dataset.matrix.values.subarray(start * features, end * features), offset * features);
      for (let r = start; r < end; r++) y[offset + r - start] = split.dataset.labels[r];
      offset += end - start;
    }
    return { x, y, rows, features };
  };
  const train = stack('train');
  const weighted = splits.length > 0 && splits.every((s) => s.dataset.weights !== undefined);
  return { train, validation: stack('validation'), test: stack('test'), ...(weighted && { trainWeights: stackTrainWeights(splits, train.rows) }) };
}

function stackTrainWeights(splits: readonly SymbolSplit[], rows: number): Float64Array {
  const weights = new Float64Array(rows);
  let offset = 0;
  for (const { dataset, train } of splits) {
    weights.set(dataset.weights!.subarray(train[0], train[1]), offset);
    offset += train[1] - train[0];
  }
  return weights;
}
