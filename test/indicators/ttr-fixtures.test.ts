import { describe, expect, it } from 'vitest';
import { parseIndicatorParams, requireIndicator } from '../../src/indicators/registry.js';
import { PIVOT_HIGH, PIVOT_LOW, findPivots } from '../../src/indicators/zigzag.js';
import { readOhlcvFixture, readPivotFixture, readReferenceFixture } from './fixture-csv.js';

/** Which indicator output reproduces each TTR reference column (test/fixtures/README.md defines the columns). */
const REFERENCE_COLUMNS: Record<string, { type: string; params?: Record<string, unknown>; output?: string }> = {
  sma20: { type: 'sma', params: { period: 20 } },
  ema20: { type: 'ema', params: { period: 20 } },
  rsi14: { type: 'rsi', params: { period: 14 } },
  macd: { type: 'macd', params: { fast: 12, slow: 26, signal: 9 }, output: 'line' },
  macd_signal: { type: 'macd', params: { fast: 12, slow: 26, signal: 9 }, output: 'signal' },
  macd_hist: { type: 'macd', params: { fast: 12, slow: 26, signal: 9 }, output: 'histogram' },
  bb_lower: { type: 'bbands', params: { period: 20, multiplier: 2 }, output: 'lower' },
  bb_middle: { type: 'bbands', params: { period: 20, multiplier: 2 }, output: 'middle' },
  bb_upper: { type: 'bbands', params: { period: 20, multiplier: 2 }, output: 'upper' },
  bb_pctb: { type: 'bbands', params: { period: 20, multiplier: 2 }, output: 'pct_b' },
  tr: { type: 'atr', params: { period: 14 }, output: 'tr' },
  atr14: { type: 'atr', params: { period: 14 }, output: 'atr' },
  plus_di14: { type: 'adx', params: { period: 14 }, output: 'plus_di' },
  minus_di14: { type: 'adx', params: { period: 14 }, output: 'minus_di' },
  dx14: { type: 'adx', params: { period: 14 }, output: 'dx' },
  adx14: { type: 'adx', params: { period: 14 }, output: 'adx' },
  stoch_fastk14: { type: 'stochastic', params: { period: 14, smooth: 3, signal: 3 }, output: 'fast_k' },
  stoch_slowk14_3: { type: 'stochastic', params: { period: 14, smooth: 3, signal: 3 }, output: 'slow_k' },
  stoch_slowd14_3_3: { type: 'stochastic', params: { period: 14, smooth: 3, signal: 3 }, output: 'slow_d' },
  roc10_pct: { type: 'roc', params: { period: 10 } },
  roc10_log: { type: 'roc', params: { period: 10, mode: 'log' } },
  willr14: { type: 'williamsr', params: { period: 14 } },
  cci20: { type: 'cci', params: { period: 20 } },
  obv: { type: 'obv' },
  mfi14: { type: 'mfi', params: { period: 14 } },
  zigzag5: { type: 'zigzag', params: { threshold: 0.05, price: 'high_low' } },
};

const TOLERANCE = 1e-9;

/** Collapsed rows hold two pivots in our output (see test/fixtures/README.md, "ZigZag pivots"). */
const COLLAPSED = { sp500: 0, ttrc: 3 };

describe.each(['sp500', 'ttrc'] as const)('TTR reference fixtures: %s', (set) => {
  const series = readOhlcvFixture(set);
  const reference = readReferenceFixture(set);

  it('should map every reference column to an indicator output', () => {
    expect([...reference.keys()].sort()).toEqual(Object.keys(REFERENCE_COLUMNS).sort());
  });

  it.each(Object.keys(REFERENCE_COLUMNS))('should reproduce %s within 1e-9 relative, NaN exactly at empty cells', (name) => {
    const { type, params = {}, output } = REFERENCE_COLUMNS[name];
    const definition = requireIndicator(type);
    const got = definition.compute(series, parseIndicatorParams(definition, params))[output ?? 'value'];
    const want = reference.get(name)!;
    expect(got.length).toBe(want.length);
    const mismatches: string[] = [];
    let worst = 0;
    for (let i = 0; i < want.length; i++) {
      if (Number.isNaN(want[i]) || Number.isNaN(got[i])) {
        if (Number.isNaN(want[i]) !== Number.isNaN(got[i])) mismatches.push(`row ${i}: got ${got[i]}, want ${want[i]}`);
        continue;
      }
      const relative = Math.abs(got[i] - want[i]) / Math.max(1, Math.abs(want[i]));
      worst = Math.max(worst, relative);
      if (relative > TOLERANCE) mismatches.push(`row ${i}: got ${got[i]}, want ${want[i]}`);
    }
    expect(mismatches.slice(0, 5)).toEqual([]);
    expect(worst).toBeLessThanOrEqual(TOLERANCE);
  });

  it('should reproduce the ZigZag(5 %) pivots, with both pivots on each collapsed outside bar', () => {
    const expected = readPivotFixture(set);
    const pivots = findPivots(series, { threshold: 0.05, price: 'high_low' });
    expect(pivots.indices.length).toBe(expected.length + COLLAPSED[set]);

    // TTR keeps only the later pivot of an outside bar; drop our earlier one and the rest must be identical.
    const kept: number[] = [];
    let doubles = 0;
    for (let k = 0; k < pivots.indices.length; k++) {
      if (k + 1 < pivots.indices.length && pivots.indices[k + 1] === pivots.indices[k]) {
        doubles++;
        expect(pivots.kinds[k + 1]).toBe(-pivots.kinds[k]);
        continue;
      }
      kept.push(k);
    }
    expect(doubles).toBe(COLLAPSED[set]);
    expect(kept.map((k) => pivots.indices[k])).toEqual(expected.map((row) => row.index));
    kept.forEach((k, row) => {
      expect(pivots.prices[k]).toBeCloseTo(expected[row].price, 9);
      const type = expected[row].type;
      if (type === 'collapsed') expect(pivots.indices[k - 1]).toBe(pivots.indices[k]);
      else expect(pivots.kinds[k]).toBe(type === 'high' ? PIVOT_HIGH : PIVOT_LOW);
    });
  });
});
