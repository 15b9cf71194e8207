import { describe, expect, it } from 'vitest';
import { formatOhlcvCsv, parseNumberBytes, parseOhlcvCsv } from '../../src/data/csv.js';
import { KtrdrError } from '../../src/errors.js';

const source = { file: 'TEST_1d.csv', symbol: 'TEST', timeframe: '1d' };
const HEADER = 'timestamp,open,high,low,close,volume';

function parse(text: string) {
  return parseOhlcvCsv(Buffer.from(text, 'utf8'), source);
}

function parseError(text: string): KtrdrError {
  try {
    parse(text);
  } catch (error) {
    expect(error).toBeInstanceOf(KtrdrError);
    return error as KtrdrError;
  }
  throw new Error('expected the CSV to be rejected');
}

function expectInvalid(text: string, line: number, fragment: string | RegExp): void {
  const error = parseError(text);
  expect(error.code).toBe('DATA_INVALID');
  expect(error.message).toContain(`TEST_1d.csv: line ${line}:`);
  if (typeof fragment === 'string') expect(error.message).toContain(fragment);
  else expect(error.message).toMatch(fragment);
  expect(error.details).toMatchObject({ file: 'TEST_1d.csv', line });
}

const rows = (...lines: string[]) => [HEADER, ...lines].join('\n') + '\n';
const GOOD_1 = '2020-01-01,10,12,9,11,100';
const GOOD_2 = '2020-01-02,11,13,10,12,200';

describe(parseOhlcvCsv.name, () => {
  it('should parse columns into typed arrays with UTC timestamps', () => {
    const series = parse(rows(GOOD_1, GOOD_2));
    expect(series.symbol).toBe('TEST');
    expect(series.timeframe).toBe('1d');
    expect([...series.timestamps]).toEqual([Date.UTC(2020, 0, 1), Date.UTC(2020, 0, 2)]);
    expect([...series.open]).toEqual([10, 11]);
    expect([...series.high]).toEqual([12, 13]);
    expect([...series.low]).toEqual([9, 10]);
    expect([...series.close]).toEqual([11, 12]);
    expect([...series.volume]).toEqual([100, 200]);
  });

  it('should accept a date header, any column order, CRLF, a BOM and no trailing newline', () => {
    const text = '\ufeffDate,Close,Open,Low,High,Volume\r\n2020-01-01T00:00:00Z,11,10,9,12,100\r\n2020-01-01T02:00:00+01:00,12,11,10,13,5';
    const series = parse(text);
    expect([...series.timestamps]).toEqual([Date.UTC(2020, 0, 1, 0), Date.UTC(2020, 0, 1, 1)]);
    expect([...series.open]).toEqual([10, 11]);
    expect([...series.close]).toEqual([11, 12]);
    // 01:00+01:00 is midnight UTC, the same instant as the first row
    expect(() => parse(text.replace('T02:00:00+01:00', 'T01:00:00+01:00'))).toThrow(/duplicate timestamp/);
  });

  it('should treat naive date-times as UTC and honour offsets and fractions', () => {
    const series = parse(rows('2020-01-01 00:30,10,12,9,11,1', '2020-01-01T01:00:00.250Z,10,12,9,11,1', '2020-01-01T02:00:00-01:30,10,12,9,11,1'));
    expect([...series.timestamps]).toEqual([
      Date.UTC(2020, 0, 1, 0, 30),
      Date.UTC(2020, 0, 1, 1, 0, 0, 250),
      Date.UTC(2020, 0, 1, 3, 30),
    ]);
  });

  it('should parse numbers exactly like Number() does', () => {
    const samples = ['1469.250000', '0.1', '1.10234', '-3.5', '1e3', '2.5E-4', '931800000', '5792140000', '12345678901234567890.5', '0.000000000000000000001'];
    for (const text of samples) {
      const bytes = Buffer.from(text, 'latin1');
      expect(parseNumberBytes(bytes, 0, bytes.length)).toBe(Number(text));
    }
    for (const bad of ['', '-', '.', '1.2.3', '0x10', 'NaN', 'Infinity', '1,5', '12abc']) {
      const bytes = Buffer.from(bad, 'latin1');
      expect(parseNumberBytes(bytes, 0, bytes.length)).toBeNaN();
    }
  });

  it('should round-trip through formatOhlcvCsv', () => {
    const series = parse(rows('2020-01-01T13:45:00Z,1.10234,1.10301,1.102,1.1025,1234', '2020-01-02,0.1,0.30000000000000004,0.1,0.2,0'));
    const again = parse(formatOhlcvCsv(series));
    expect(again).toEqual(series);
  });

  it('should reject an unparsable number with its line and column', () => {
    expectInvalid(rows(GOOD_1, '2020-01-02,11,13,abc,12,200'), 3, "low 'abc' is not a finite number");
    expectInvalid(rows(GOOD_1, '2020-01-02,11,13,10,,200'), 3, "close '' is not a finite number");
    expectInvalid(rows('2020-01-01,10,12,9,11,NaN'), 2, "volume 'NaN' is not a finite number");
  });

  it('should reject an unparsable timestamp', () => {
    expectInvalid(rows(GOOD_1, '01/02/2020,11,13,10,12,200'), 3, "timestamp '01/02/2020' is not an ISO date");
    expectInvalid(rows('2020-02-30,10,12,9,11,1'), 2, 'is not an ISO date');
  });

  it('should reject high below low', () => {
    expectInvalid(rows(GOOD_1, '2020-01-02,11,10,12,11,200'), 3, 'high 10 is below low 12');
  });

  it('should reject open or close outside the high-low range', () => {
    expectInvalid(rows('2020-01-01,13,12,9,11,100'), 2, 'high 12 is below max(open, close) 13');
    expectInvalid(rows('2020-01-01,10,12,9,8.5,100'), 2, 'low 9 is above min(open, close) 8.5');
  });

  it('should reject negative volume', () => {
    expectInvalid(rows(GOOD_1, GOOD_2, '2020-01-03,11,13,10,12,-1'), 4, 'volume -1 is negative');
  });

  it('should reject duplicate timestamps', () => {
    expectInvalid(rows(GOOD_1, GOOD_2, GOOD_2), 4, 'duplicate timestamp 2020-01-02T00:00:00Z (same as the row on line 3)');
  });

  it('should reject timestamps that go backwards', () => {
    expectInvalid(rows(GOOD_2, GOOD_1), 3, 'is before the previous row');
  });

  it('should reject missing and unexpected columns in the header', () => {
    expectInvalid('timestamp,open,high,low,close\n2020-01-01,10,12,9,11\n', 1, 'missing column volume');
    expectInvalid('timestamp,open,high,low,close,volume,oi\n', 1, "unexpected column 'oi'");
    expectInvalid('when,open,high,low,close,volume\n', 1, 'the first column must be the bar open time');
    expectInvalid('timestamp,open,high,high,close,volume\n', 1, "duplicate column 'high'");
  });

  it('should reject rows with the wrong column count', () => {
    expectInvalid(rows(GOOD_1, '2020-01-02,11,13,10,12'), 3, 'expected 6 columns, got 5');
    expectInvalid(rows(GOOD_1, '2020-01-02,11,13,10,12,200,7'), 3, 'expected 6 columns, got 7');
    expectInvalid(rows('2020-01-02'), 2, 'expected 6 columns, got 1');
  });

  it('should reject blank lines between rows but allow them at the end', () => {
    expectInvalid(rows(GOOD_1, '', GOOD_2), 3, 'empty line');
    expect(parse(rows(GOOD_1, GOOD_2) + '\n\n').timestamps.length).toBe(2);
  });

  it('should reject an empty file and a file without rows', () => {
    expectInvalid('', 1, 'the file is empty');
    expectInvalid(HEADER + '\n', 2, 'no data rows');
  });

  it('should parse a million rows in well under a few seconds', () => {
    const n = 1_000_000;
    const lines = new Array<string>(n + 1);
    lines[0] = HEADER;
    const t0 = Date.UTC(2000, 0, 1);
    let day = '';
    for (let i = 0; i < n; i++) {
      const minuteOfDay = i % 1440;
      if (minuteOfDay === 0) day = new Date(t0 + i * 60_000).toISOString().slice(0, 10);
      const hh = String(Math.floor(minuteOfDay / 60)).padStart(2, '0');
      const mm = String(minuteOfDay % 60).padStart(2, '0');
      lines[i + 1] = `${day}T${hh}:${mm}:00Z,1.1${i % 1000},1.2,1.0${i % 7},1.15,${i}`;
    }
    const bytes = Buffer.from(lines.join('\n') + '\n');
    const big = { file: 'BIG_1m.csv', symbol: 'BIG', timeframe: '1m' };
    parseOhlcvCsv(bytes.subarray(0, bytes.lastIndexOf(10, 3_000_000) + 1), big); // warm up the JIT on a prefix
    const started = performance.now();
    const series = parseOhlcvCsv(bytes, big);
    const elapsed = performance.now() - started;
    expect(series.timestamps.length).toBe(n);
    expect(series.timestamps[n - 1]).toBe(t0 + (n - 1) * 60_000);
    expect(series.volume[n - 1]).toBe(n - 1);
    // Typically ~0.4 s; only a per-row allocation regression would come near this bound on a shared CI machine.
    expect(elapsed).toBeLessThan(10_000);
  });
});
