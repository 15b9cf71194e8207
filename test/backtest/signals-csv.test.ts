import { describe, expect, it } from 'vitest';
import { alignSignals, parseSignalsCsv } from '../../src/backtest/signals-csv.js';
import { KtrdrError } from '../../src/errors.js';
import { LABEL_BUY, LABEL_HOLD, LABEL_SELL } from '../../src/labels/label-classes.js';

const B = LABEL_BUY;
const H = LABEL_HOLD;
const S = LABEL_SELL;

function errorOf(action: () => unknown): KtrdrError {
  try {
    action();
  } catch (error) {
    if (error instanceof KtrdrError) return error;
    throw error;
  }
  throw new Error('expected a KtrdrError');
}

describe('parseSignalsCsv', () => {
  it('should read BUY/HOLD/SELL in any case', () => {
    const parsed = parseSignalsCsv('timestamp,signal\n2024-01-01,BUY\n2024-01-02T00:00:00Z,hold\r\n2024-01-03 12:00,Sell\n\n', 'a.csv');
    expect([...parsed.signals]).toEqual([B, H, S]);
    expect([...parsed.timestamps]).toEqual([Date.UTC(2024, 0, 1), Date.UTC(2024, 0, 2), Date.UTC(2024, 0, 3, 12)]);
  });

  it('should read 1/0/-1 as BUY/HOLD/SELL', () => {
    const parsed = parseSignalsCsv('\uFEFFtimestamp,signal\n2024-01-01,1\n2024-01-02,0\n2024-01-03,-1', 'b.csv');
    expect([...parsed.signals]).toEqual([B, H, S]);
  });

  it.each([
    ['time,value\n2024-01-01,BUY', 1, /header/],
    ['timestamp,signal\n2024-01-01,BUY\n2024-01-02,2', 3, /signal '2'/],
    ['timestamp,signal\n2024-01-01,BUY\nyesterday,SELL', 3, /'yesterday'/],
    ['timestamp,signal\n2024-01-02,BUY\n2024-01-01,SELL', 3, /does not come after/],
    ['timestamp,signal\n2024-01-01,BUY\n2024-01-01,SELL', 3, /does not come after/],
    ['timestamp,signal\n2024-01-01,BUY,0.9', 2, /2 columns/],
    ['timestamp,signal\n', 2, /no signal rows/],
  ])('should refuse a bad file with DATA_INVALID naming the line: %j', (text, line, message) => {
    const error = errorOf(() => parseSignalsCsv(text, 'bad.csv'));
    expect(error.code).toBe('DATA_INVALID');
    expect(error.message).toMatch(new RegExp(`^bad\\.csv: line ${line}: `));
    expect(error.message).toMatch(message);
    expect(error.details).toEqual({ file: 'bad.csv', line });
  });
});

describe('alignSignals', () => {
  const day = (d: number) => Date.UTC(2024, 0, d);
  const bars = Float64Array.from([day(1), day(2), day(3), day(4)]);

  it('should place each signal on its bar and HOLD everywhere else', () => {
    const aligned = alignSignals(bars, Float64Array.from([day(2), day(4)]), Uint8Array.from([B, S]));
    expect([...aligned]).toEqual([H, B, H, S]);
  });

  it('should refuse a signal stamped at no bar', () => {
    const error = errorOf(() => alignSignals(bars, Float64Array.from([day(2), day(5)]), Uint8Array.from([B, S])));
    expect(error.code).toBe('DATA_INVALID');
    expect(error.message).toContain('2024-01-05T00:00:00Z');
  });
});
