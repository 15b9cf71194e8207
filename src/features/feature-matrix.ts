import { featureIds, type Strategy } from '../config/strategy.js';
import { alignmentIndex, gatherAligned } from '../data/align.js';
import type { OhlcvSeries } from '../data/ohlcv.js';
import { timeframeMs } from '../data/timeframe.js';
import { KtrdrError } from '../errors.js';
import type { MembershipColumns } from './memberships.js';
import { indicatorColumnKey } from './strategy-indicators.js';

/**
 * One symbol's network inputs: Float32Array rows in `names` order, one row per base bar that has every feature.
 * Raw indicator inputs are their indicator's values as computed; normalisation is fitted on the training split and
 * applied afterwards (`normalization.ts`). Bars where any feature is NaN (indicator warm-up, a higher timeframe that
 * has not closed a bar yet) are dropped and counted, never zero-filled: a zero membership is a real statement ("not
 * oversold") the network would learn from.
 */
export interface FeatureMatrix {
  readonly names: readonly string[];
  readonly values: Float32Array;
  readonly rows: number;
  /** Base-series bar index of each row, to pick the matching labels and timestamps. */
  readonly barIndex: Int32Array;
  readonly timestamps: Float64Array;
  readonly droppedRows: number;
}

/** Which base bars become rows: with `startMs`, only those at or after it (the bars before only warm up). */
export interface FeatureRange {
  readonly startMs?: number;
}

/**
 * The matrix step of the one feature path (training step 5, and the last stage of `computeFeatures`): assembles the
 * feature matrix of one symbol. `series` and `memberships` are keyed by timeframe; higher timeframes are aligned onto
 * base bars using only bars that had closed by the base bar's close (no look-ahead).
 */
export function buildFeatureMatrix(
  strategy: Strategy,
  series: ReadonlyMap<string, OhlcvSeries>,
  memberships: ReadonlyMap<string, MembershipColumns>,
  range: FeatureRange = {},
): FeatureMatrix {
  const baseTimeframe = strategy.trainingData.baseTimeframe;
  const base = series.get(baseTimeframe);
  if (!base) throw new Error(`base timeframe ${baseTimeframe} was not loaded`);
  const names = featureIds(strategy);
  const bars = base.timestamps.length;

  const alignment = new Map<string, Int32Array | null>();
  const columns: (Float32Array | Float64Array)[] = [];
  for (const input of strategy.nnInputs) {
    for (const timeframe of input.timeframes) {
      const frame = series.get(timeframe);
      const computed = memberships.get(timeframe);
      if (!frame || !computed) throw new Error(`timeframe ${timeframe} was not prepared`);
      if (!alignment.has(timeframe)) {
        alignment.set(
          timeframe,
          timeframe === baseTimeframe ? null : alignmentIndex(base.timestamps, timeframeMs(baseTimeframe), frame.timestamps, timeframeMs(timeframe)),
        );
      }
      const index = alignment.get(timeframe)!;
      if (!('fuzzySet' in input)) {
        const key = indicatorColumnKey(input.indicatorId, input.output);
        const values = computed.get(key);
        if (!values) throw new Error(`raw input ${key} was not prepared on ${timeframe}`);
        columns.push(index === null ? values : gatherAligned(values, index));
        continue;
      }
      const set = strategy.fuzzySets.find((s) => s.id === input.fuzzySet)!;
      for (const { name } of set.memberships) {
        const values = computed.get(`${set.id}_${name}`);
        if (!values) throw new Error(`membership ${set.id}_${name} was not computed on ${timeframe}`);
        columns.push(index === null ? values : gatherAligned(values, index));
      }
    }
  }

  // Memberships are NaN or in [0, 1]; raw indicator values can also be ±Infinity (a rate of change from 0), which
  // no network input can take, so any non-finite value makes the row incomplete.
  const complete = new Uint8Array(bars).fill(1);
  for (const column of columns) {
    if (column instanceof Float32Array) markIncomplete32(column, complete);
    else markIncomplete64(column, complete);
  }
  let rows = 0;
  for (let i = 0; i < bars; i++) rows += complete[i];

  const width = columns.length;
  const values = new Float32Array(rows * width);
  const barIndex = new Int32Array(rows);
  const timestamps = new Float64Array(rows);
  let r = 0;
  for (let i = 0; i < bars; i++) {
    if (!complete[i]) continue;
    barIndex[r] = i;
    timestamps[r] = base.timestamps[i];
    r++;
  }
  // Column by column within blocks of rows: the inner loop reads one typed array (a row at a time read a different
  // column per value, each read re-checking which array it was), and a block's slice of the matrix stays in cache
  // while its columns are written into it.
  for (let first = 0; first < rows; first += ROW_BLOCK) {
    const end = Math.min(first + ROW_BLOCK, rows);
    for (let c = 0; c < width; c++) {
      const column = columns[c];
      if (column instanceof Float32Array) copyColumn32(column, barIndex, values, width, c, first, end);
      else copyColumn64(column, barIndex, values, width, c, first, end);
    }
  }
  const matrix = { names, values, rows, barIndex, timestamps, droppedRows: bars - rows };
  return range.startMs === undefined ? matrix : rowsFrom(matrix, range.startMs, base.timestamps);
}

/** Rows per block of the matrix copy: 14 float32 features × 2,048 rows is 112 KiB, well within a core's L2 cache. */
const ROW_BLOCK = 2048;

// Membership columns are float32 and raw indicator columns float64. Each kernel below comes in one version per array
// type, with the same body, so that each loop reads one kind of array (a loop fed both would check which it has at
// every value).

/** Clears complete[i] where column[i] is NaN or ±Infinity (`v - v !== 0` is true for exactly those, no builtin call). */
function markIncomplete64(column: Float64Array, complete: Uint8Array): void {
  for (let i = 0; i < column.length; i++) {
    const v = column[i];
    if (v - v !== 0) complete[i] = 0;
  }
}

function markIncomplete32(column: Float32Array, complete: Uint8Array): void {
  for (let i = 0; i < column.length; i++) {
    const v = column[i];
    if (v - v !== 0) complete[i] = 0;
  }
}

/** values[r·width + c] = column[barIndex[r]] for rows first..end − 1 (float64 to float32, as any typed-array store). */
function copyColumn64(column: Float64Array, barIndex: Int32Array, values: Float32Array, width: number, c: number, first: number, end: number): void {
  for (let r = first, at = first * width + c; r < end; r++, at += width) values[at] = column[barIndex[r]];
}

function copyColumn32(column: Float32Array, barIndex: Int32Array, values: Float32Array, width: number, c: number, first: number, end: number): void {
  for (let r = first, at = first * width + c; r < end; r++, at += width) values[at] = column[barIndex[r]];
}

/** Fails with a clear message when warm-up left nothing (or too little) to learn from. */
export function requireRows(matrix: FeatureMatrix, symbol: string, minimum: number): void {
  if (matrix.rows < minimum) {
    throw new KtrdrError(
      'DATA_INSUFFICIENT',
      `${symbol}: only ${matrix.rows} complete feature rows (${matrix.droppedRows} warm-up rows dropped); at least ${minimum} are needed`,
      { hint: 'widen the date range or use indicators with shorter periods' },
    );
  }
}

/**
 * The rows at or after `startMs`. Features are computed on all the history before a range's start and only then cut,
 * so indicators that carry state from bar to bar (EMA, RSI, ADX) give the first rows of the range the same values
 * that prediction, which also reads the history, will compute for them. Returns views, no copy.
 */
function rowsFrom(matrix: FeatureMatrix, startMs: number, baseTimestamps: Float64Array): FeatureMatrix {
  let first = 0;
  while (first < matrix.rows && matrix.timestamps[first] < startMs) first++;
  let barsInRange = 0;
  for (let i = baseTimestamps.length - 1; i >= 0 && baseTimestamps[i] >= startMs; i--) barsInRange++;
  const width = matrix.names.length;
  const rows = matrix.rows - first;
  return {
    names: matrix.names,
    values: matrix.values.subarray(first * width),
    rows,
    barIndex: matrix.barIndex.subarray(first),
    timestamps: matrix.timestamps.subarray(first),
    droppedRows: barsInRange - rows,
  };
}

/** The rows where `keep[r]` is 1, copied in order (the matrix itself when every row is kept). */
export function selectRows(matrix: FeatureMatrix, keep: Uint8Array): FeatureMatrix {
  let rows = 0;
  for (let r = 0; r < matrix.rows; r++) rows += keep[r];
  if (rows === matrix.rows) return matrix;
  const width = matrix.names.length;
  const values = new Float32Array(rows * width);
  const barIndex = new Int32Array(rows);
  const timestamps = new Float64Array(rows);
  let out = 0;
  for (let r = 0; r < matrix.rows; r++) {
    if (!keep[r]) continue;
    values.set(matrix.values.subarray(r * width, (r + 1) * width), out * width);
    barIndex[out] = matrix.barIndex[r];
    timestamps[out] = matrix.timestamps[r];
    out++;
  }
  return { names: matrix.names, values, rows, barIndex, timestamps, droppedRows: matrix.droppedRows };
}
