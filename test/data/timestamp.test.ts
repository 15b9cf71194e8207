import { describe, expect, it } from 'vitest';
import { formatTimestamp, parseRangeBound, parseTimestamp } from '../../src/data/timestamp.js';

describe(parseTimestamp.name, () => {
  it('should parse dates and date-times as UTC unless an offset is given', () => {
    expect(parseTimestamp('2020-04-17')).toBe(Date.UTC(2020, 3, 17));
    expect(parseTimestamp('2020-04-17T13:05')).toBe(Date.UTC(2020, 3, 17, 13, 5));
    expect(parseTimestamp('2020-04-17 13:05:09')).toBe(Date.UTC(2020, 3, 17, 13, 5, 9));
    expect(parseTimestamp('2020-04-17T13:05:09.5Z')).toBe(Date.UTC(2020, 3, 17, 13, 5, 9, 500));
    expect(parseTimestamp('2020-04-17T13:05:09.123456789Z')).toBe(Date.UTC(2020, 3, 17, 13, 5, 9, 123));
    expect(parseTimestamp('2020-04-17T13:05:09+02:00')).toBe(Date.UTC(2020, 3, 17, 11, 5, 9));
    expect(parseTimestamp('2020-04-17T13:05:09-0330')).toBe(Date.UTC(2020, 3, 17, 16, 35, 9));
    expect(parseTimestamp('1969-12-31T23:59:59Z')).toBe(-1000);
    expect(parseTimestamp('2000-02-29')).toBe(Date.UTC(2000, 1, 29));
  });

  it('should agree with Date.UTC across centuries and leap years', () => {
    for (let year = 1700; year <= 2400; year += 7) {
      for (const [month, day] of [[1, 1], [2, 28], [3, 1], [12, 31]]) {
        const text = `${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
        expect(parseTimestamp(text)).toBe(Date.UTC(year, month - 1, day));
      }
    }
  });

  it('should return NaN for anything else', () => {
    for (const bad of ['', '2020', '2020-13-01', '2019-02-29', '2020-04-31', '2020/04/17', '17-04-2020', '2020-04-17T25:00', '2020-04-17T10', '2020-04-17Z', '2020-04-17T10:00Zx', '2020-04-17T10:00+24:00', '２０２０-04-17', '1587081600000']) {
      expect(parseTimestamp(bad), bad).toBeNaN();
    }
  });
});

describe(parseRangeBound.name, () => {
  it('should make a date-only end include the whole day', () => {
    expect(parseRangeBound('2020-04-17', 'start')).toBe(Date.UTC(2020, 3, 17));
    expect(parseRangeBound('2020-04-17', 'end')).toBe(Date.UTC(2020, 3, 18) - 1);
    expect(parseRangeBound('2020-04-17T12:00:00Z', 'end')).toBe(Date.UTC(2020, 3, 17, 12));
  });
});

describe(formatTimestamp.name, () => {
  it('should write second precision with Z, and milliseconds only when present', () => {
    expect(formatTimestamp(Date.UTC(2020, 0, 2, 3, 4, 5))).toBe('2020-01-02T03:04:05Z');
    expect(formatTimestamp(Date.UTC(2020, 0, 2, 3, 4, 5, 6))).toBe('2020-01-02T03:04:05.006Z');
  });
});
