import { describe, expect, it } from 'vitest';
import { compareTimeframes, isValidTimeframe, periodStart, timeframeMs } from '../../src/data/timeframe.js';
import { assertSymbol, dataFileName, isValidSymbol } from '../../src/data/names.js';

describe(timeframeMs.name, () => {
  it('should turn m/h/d/w strings into durations', () => {
    expect(timeframeMs('1m')).toBe(60_000);
    expect(timeframeMs('15m')).toBe(900_000);
    expect(timeframeMs('4h')).toBe(4 * 3_600_000);
    expect(timeframeMs('1d')).toBe(86_400_000);
    expect(timeframeMs('1w')).toBe(7 * 86_400_000);
    expect(['1d', '1h', '1w', '4h', '5m'].sort(compareTimeframes)).toEqual(['5m', '1h', '4h', '1d', '1w']);
  });

  it('should refuse anything else with INVALID_NAME', () => {
    for (const bad of ['1M', 'h', '1', '1H', '0h', '1h/..', '../1h', '1y', '']) {
      expect(isValidTimeframe(bad), bad).toBe(false);
      expect(() => timeframeMs(bad)).toThrow(expect.objectContaining({ code: 'INVALID_NAME' }));
    }
  });
});

describe(periodStart.name, () => {
  it('should bucket by UTC period start, weeks from Monday', () => {
    const t = Date.UTC(2020, 3, 17, 13, 45); // a Friday
    expect(periodStart(t, '4h')).toBe(Date.UTC(2020, 3, 17, 12));
    expect(periodStart(t, '1d')).toBe(Date.UTC(2020, 3, 17));
    expect(periodStart(t, '1w')).toBe(Date.UTC(2020, 3, 13));
    expect(periodStart(Date.UTC(2020, 3, 13), '1w')).toBe(Date.UTC(2020, 3, 13));
    expect(periodStart(Date.UTC(2020, 3, 12, 23), '1w')).toBe(Date.UTC(2020, 3, 6));
  });
});

describe('symbol names', () => {
  it('should accept ordinary symbols', () => {
    for (const ok of ['SPX', 'EURUSD', 'BRK.B', 'ES_F', 'X-1', '6E']) expect(isValidSymbol(ok), ok).toBe(true);
    expect(dataFileName('EURUSD', '1h')).toBe('EURUSD_1h.csv');
  });

  it('should refuse path tricks and odd characters with INVALID_NAME', () => {
    for (const bad of ['..', '../etc/passwd', 'a/b', 'a\\b', '.hidden', 'A..B', '', 'A B', 'TOO_LONG_SYMBOL_NAME_X', '-X', 'x\0y']) {
      expect(isValidSymbol(bad), bad).toBe(false);
      expect(() => assertSymbol(bad)).toThrow(expect.objectContaining({ code: 'INVALID_NAME' }));
    }
    expect(() => dataFileName('SPX', '../1d')).toThrow(expect.objectContaining({ code: 'INVALID_NAME' }));
  });
});
