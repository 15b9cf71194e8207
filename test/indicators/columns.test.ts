import { describe, expect, it } from 'vitest';
import { KtrdrError } from '../../src/errors.js';
import { computeIndicatorColumns, parseIndicatorSpec, resolveIndicatorSpec } from '../../src/indicators/columns.js';
import { macd } from '../../src/indicators/macd.js';
import { rsi } from '../../src/indicators/momentum.js';
import { randomWalk } from './series.js';

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    if (error instanceof KtrdrError) return error.code;
    throw error;
  }
  throw new Error('expected a KtrdrError');
}

describe('parseIndicatorSpec', () => {
  it('should parse a bare type, numbers and strings', () => {
    expect(parseIndicatorSpec('bbands')).toEqual({ type: 'bbands', params: {} });
    expect(parseIndicatorSpec('rsi:period=14')).toEqual({ type: 'rsi', params: { period: 14 } });
    expect(parseIndicatorSpec('macd:fast=12,slow=26,signal=9')).toEqual({ type: 'macd', params: { fast: 12, slow: 26, signal: 9 } });
    expect(parseIndicatorSpec(' BBands : multiplier=2.5 , source=high ')).toEqual({
      type: 'bbands',
      params: { multiplier: 2.5, source: 'high' },
    });
    expect(parseIndicatorSpec('zigzag:threshold=.03,price=close')).toEqual({ type: 'zigzag', params: { threshold: 0.03, price: 'close' } });
    expect(parseIndicatorSpec('roc:period=1e1')).toEqual({ type: 'roc', params: { period: 10 } });
    expect(parseIndicatorSpec('adline:use_sma_smoothing=true,smoothing_period=5')).toEqual({
      type: 'adline',
      params: { use_sma_smoothing: true, smoothing_period: 5 },
    });
    expect(parseIndicatorSpec('adline:use_sma_smoothing=false')).toEqual({ type: 'adline', params: { use_sma_smoothing: false } });
  });

  it('should refuse malformed text with VALIDATION_FAILED', () => {
    for (const text of ['', ':period=3', 'rsi:', 'rsi:period', 'rsi:period=', 'rsi:=3', 'rsi:period=3,period=4', 'rsi:period=3,']) {
      expect(codeOf(() => parseIndicatorSpec(text))).toBe('VALIDATION_FAILED');
    }
  });
});

describe('computeIndicatorColumns', () => {
  const series = randomWalk(200);

  it('should name single-output columns by id and multi-output columns id.output, in spec order', () => {
    const columns = computeIndicatorColumns(series, ['rsi:period=14', 'macd', 'atr:period=5'].map(parseIndicatorSpec));
    expect(columns.map((c) => c.name)).toEqual([
      'rsi_14',
      'macd_12_26_9.line',
      'macd_12_26_9.signal',
      'macd_12_26_9.histogram',
      'atr_5.atr',
      'atr_5.tr',
    ]);
    expect(Array.from(columns[0].values)).toEqual(Array.from(rsi(series.close, 14)));
    expect(Array.from(columns[2].values)).toEqual(Array.from(macd(series.close, 12, 26, 9).signal));
  });

  it('should resolve aliases to the canonical id and compute a repeated indicator once', () => {
    const columns = computeIndicatorColumns(series, ['RSI', 'rsi:period=14', 'bollingerbands:period=10'].map(parseIndicatorSpec));
    expect(columns.map((c) => c.name)).toEqual([
      'rsi_14',
      'bbands_10_2.upper',
      'bbands_10_2.middle',
      'bbands_10_2.lower',
      'bbands_10_2.bandwidth',
      'bbands_10_2.pct_b',
    ]);
  });

  it('should validate every spec before computing any', () => {
    expect(codeOf(() => computeIndicatorColumns(series, [parseIndicatorSpec('rsi'), parseIndicatorSpec('nope')]))).toBe('INDICATOR_UNKNOWN');
    expect(codeOf(() => computeIndicatorColumns(series, [parseIndicatorSpec('rsi:length=3')]))).toBe('INDICATOR_PARAMS_INVALID');
  });

  it('should report the validated params with defaults', () => {
    const resolved = resolveIndicatorSpec(parseIndicatorSpec('stoch:smooth=5'));
    expect(resolved.definition.type).toBe('stochastic');
    expect(resolved.params).toEqual({ period: 14, smooth: 5, signal: 3 });
    expect(resolved.columns).toEqual(['stochastic_14_5_3.fast_k', 'stochastic_14_5_3.slow_k', 'stochastic_14_5_3.slow_d']);
  });
});
