import type { FeatureMatrix } from '../features/index.js';
import type { LabelledSet } from '../nn/index.js';

export interface SymbolDataset {
  readonly symbol: string;
  readonly matrix: FeatureMatrix;
  readonly labels: Uint8Array;
}

export interface SplitRatios {
  readonly train: number;
  readonly validation: number;
  readonly test: number;
}

/** Row ranges [start, end) of one symbol's chronological split. */
export interface SymbolSplit {
  readonly dataset: SymbolDataset;
  readonly train: readonly [number, number];
  readonly validation: readonly [number, number];
  readonly test: readonly [number, number];
}

/** Oldest rows train, then validation, then test; test takes the remainder so no row is lost to rounding. */
export function chronologicalSplit(dataset: SymbolDataset, ratios: SplitRatios): SymbolSplit {
  const n = dataset.matrix.rows;
  const trainEnd = Math.floor(n * ratios.train);
  const validationEnd = Math.floor(n * (ratios.train + ratios.validation));
  return { dataset, train: [0, trainEnd], validation: [trainEnd, validationEnd], test: [validationEnd, n] };
}

export interface StackedSplits {
  readonly train: LabelledSet;
  readonly validation: LabelledSet;
  readonly test: LabelledSet;
}

/** Concatenates each split across symbols (symbol order), so every split holds every symbol's matching period. */
export function stackSplits(splits: readonly SymbolSplit[], features: number): StackedSplits {
  const stack = (part: 'train' | 'validation' | 'test'): LabelledSet => {
    const rows = splits.reduce((sum, s) => sum + (s[part][1] - s[part][0]), 0);
    const x = new Float32Array(rows * features);
    const y = new Int32Array(rows);
    let offset = 0;
    for (const split of splits) {
      const [start, end] = split[part];
      x.set(split.dataset.matrix.values.subarray(start * features, end * features), offset * features);
      for (let r = start; r < end; r++) y[offset + r - start] = split.dataset.labels[r];
      offset += end - start;
    }
    return { x, y, rows, features };
  };
  return { train: stack('train'), validation: stack('validation'), test: stack('test') };
}
