import { describe, expect, it } from 'vitest';
import { parseStrategy } from '../../src/config/strategy.js';
import { MarketDataRepository } from '../../src/data/repository.js';
import { computeFeatures, type FeatureMatrix } from '../../src/features/index.js';
import { computeLabels } from '../../src/labels/labeler.js';
import { labelRows } from '../../src/training/labelled-rows.js';
import { chronologicalSplit, stackSplits, type SymbolDataset } from '../../src/training/split.js';
import { resampleByWeight } from '../../src/training/weighted-resample.js';
import { SPX_RSI_STRATEGY } from '../helpers/training-fixtures.js';

/** `rows` consecutive bars starting at bar `first`, one feature each (its row number). */
function matrixOf(rows: number, first = 0): FeatureMatrix {
  return {
    names: ['f'],
    values: Float32Array.from({ length: rows }, (_, r) => r),
    rows,
    barIndex: Int32Array.from({ length: rows }, (_, r) => first + r),
    timestamps: new Float64Array(rows),
    droppedRows: 0,
  };
}

function dataset(rows: number, horizon?: number): SymbolDataset {
  const matrix = matrixOf(rows);
  return {
    symbol: 'X',
    matrix,
    labels: new Uint8Array(rows),
    ...(horizon !== undefined && { lastBarRead: Int32Array.from(matrix.barIndex, (bar) => bar + horizon) }),
  };
}

const ratios = { train: 0.6, validation: 0.2, test: 0.2 };

describe('chronologicalSplit', () => {
  it('should purge the last H rows of train and validation for labels that read H bars ahead', () => {
    // 100 rows: train [0, 60), validation [60, 80), test [80, 100); H = 5 drops rows 55-59 and 75-79.
    const split = chronologicalSplit(dataset(100, 5), ratios);
    expect(split.train).toEqual([0, 55]);
    expect(split.validation).toEqual([60, 75]);
    expect(split.test).toEqual([80, 100]);
    expect(split.purged).toEqual({ train: 5, validation: 5 });
  });

  it('should add the embargo on top of the purge, and leave unbounded labels to the embargo alone', () => {
    expect(chronologicalSplit(dataset(100, 5), { ...ratios, embargoBars: 3 }).train).toEqual([0, 52]);
    const zigzag = chronologicalSplit(dataset(100), ratios);
    expect(zigzag.train).toEqual([0, 60]);
    expect(zigzag.purged).toEqual({ train: 0, validation: 0 });
    expect(chronologicalSplit(dataset(100), { ...ratios, embargoBars: 2 }).train).toEqual([0, 58]);
  });

  it('should purge on bars, not rows, where rows skip bars (event filters, warm-up)', () => {
    // Rows on every other bar: row r is bar 2r; validation starts at row 60 = bar 120; H = 5 reaches bar 2r + 5.
    const matrix = { ...matrixOf(100), barIndex: Int32Array.from({ length: 100 }, (_, r) => 2 * r) };
    const split = chronologicalSplit(
      { symbol: 'X', matrix, labels: new Uint8Array(100), lastBarRead: Int32Array.from(matrix.barIndex, (b) => b + 5) },
      ratios,
    );
    // 2r + 5 < 120 ⇔ r ≤ 57.
    expect(split.train).toEqual([0, 58]);
  });

  it('should leave no training label reading a validation or test bar (triple barrier on SPX)', async () => {
    const yaml = SPX_RSI_STRATEGY.replace(
      'labels: {source: zigzag, zigzag_threshold: 0.03, price: close}',
      'labels: {source: triple_barrier, max_holding_period: 20, vol_span: 20}',
    );
    const strategy = parseStrategy(yaml);
    const series = await new MarketDataRepository(new URL('../../data', import.meta.url).pathname).load('SPX', '1d', {});
    const rows = labelRows(computeFeatures(strategy, new Map([['1d', series]])), computeLabels(series, strategy.training.labels));
    const data: SymbolDataset = { symbol: 'SPX', matrix: rows.matrix, labels: Uint8Array.from(rows.values), lastBarRead: rows.lastBarRead! };
    const split = chronologicalSplit(data, strategy.training.dataSplit);
    const firstValidationBar = data.matrix.barIndex[split.validation[0]];
    const firstTestBar = data.matrix.barIndex[split.test[0]];
    for (let r = split.train[0]; r < split.train[1]; r++) expect(data.lastBarRead![r]).toBeLessThan(firstValidationBar);
    for (let r = split.validation[0]; r < split.validation[1]; r++) expect(data.lastBarRead![r]).toBeLessThan(firstTestBar);
    // Without the purge some would: the last training labels hold up to 20 bars.
    expect(data.lastBarRead![split.validation[0] - 1]).toBeGreaterThanOrEqual(firstValidationBar);
    expect(split.purged.train).toBeGreaterThan(0);
  });
});

describe('stackSplits and resampleByWeight', () => {
  it('should stack training weights and redraw rows in proportion to them, deterministically', () => {
    const weighted = (symbol: string, weights: number[]): SymbolDataset => ({
      symbol,
      matrix: matrixOf(weights.length),
      labels: Uint8Array.from(weights, (_, r) => r % 3),
      weights: Float64Array.from(weights),
    });
    // 10 rows each: 6 train. Symbol A's weight sits on row 0, B's on row 1.
    const splits = [weighted('A', [1, 0, 0, 0, 0, 0, 1, 1, 1, 1]), weighted('B', [0, 1, 0, 0, 0, 0, 1, 1, 1, 1])].map((d) =>
      chronologicalSplit(d, ratios),
    );
    const stacked = stackSplits(splits, 1);
    expect(Array.from(stacked.trainWeights!)).toEqual([1, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0]);
    const drawn = resampleByWeight(stacked.train, stacked.trainWeights!, 42);
    expect(drawn.rows).toBe(12);
    // Only the two weighted rows can be drawn: A's row 0 (feature 0, label 0) and B's row 1 (feature 1, label 1).
    expect(new Set(drawn.x)).toEqual(new Set([0, 1]));
    expect(Array.from(drawn.y)).toEqual(Array.from(drawn.x));
    expect(Array.from(resampleByWeight(stacked.train, stacked.trainWeights!, 42).x)).toEqual(Array.from(drawn.x));
  });

  it('should carry no weights when a symbol has none', () => {
    expect(stackSplits([chronologicalSplit(dataset(10), ratios)], 1).trainWeights).toBeUndefined();
  });
});
