import { readFileSync } from 'node:fs';
import type { OhlcvSeries } from '../../src/data/ohlcv.js';

/**
 * Minimal readers for the TTR fixtures (plain comma-separated, no quoting). Kept here rather than borrowed from
 * src/data so the oracle tests check the indicators against the files and nothing else.
 */

const FIXTURES = new URL('../fixtures/', import.meta.url);

function readRows(file: string): { header: string[]; rows: string[][] } {
  const lines = readFileSync(new URL(file, FIXTURES), 'utf8').trim().split(/\r?\n/);
  return { header: lines[0].split(','), rows: lines.slice(1).map((line) => line.split(',')) };
}

export function readOhlcvFixture(set: string): OhlcvSeries {
  const { header, rows } = readRows(`${set}_ohlcv.csv`);
  const column = (name: string) => {
    const at = header.indexOf(name);
    return Float64Array.from(rows, (row) => Number(row[at]));
  };
  return {
    symbol: set,
    timeframe: '1d',
    timestamps: Float64Array.from(rows, (row) => Date.parse(`${row[header.indexOf('date')]}T00:00:00Z`)),
    open: column('open'),
    high: column('high'),
    low: column('low'),
    close: column('close'),
    volume: column('volume'),
  };
}

/** Reference columns by name; an empty cell (R's NA) becomes NaN. */
export function readReferenceFixture(set: string): Map<string, Float64Array> {
  const { header, rows } = readRows(`${set}_reference.csv`);
  const columns = new Map<string, Float64Array>();
  header.forEach((name, at) => {
    if (name !== 'date')
      columns.set(
        name,
        Float64Array.from(rows, (row) => (row[at] === '' ? NaN : Number(row[at]))),
      );
  });
  return columns;
}

export interface PivotRow {
  /** 0-based bar index. */
  readonly index: number;
  readonly price: number;
  /** `high`, `low` or `collapsed`, with the start/provisional annotations removed. */
  readonly type: string;
}

export function readPivotFixture(set: string): PivotRow[] {
  return readRows(`${set}_zigzag5_pivots.csv`).rows.map((row) => ({
    index: Number(row[0]) - 1,
    price: Number(row[2]),
    type: row[3].replace(/\(.*\)$/, ''),
  }));
}
