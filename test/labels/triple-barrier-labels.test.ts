import { describe, expect, it } from 'vitest';
import { cusumEvents } from '../../src/labels/cusum-filter.js';
import { barrierVolatility, tripleBarrierLabels, type TripleBarrierOptions } from '../../src/labels/triple-barrier-labels.js';
import { uniquenessWeights } from '../../src/labels/uniqueness-weights.js';
import { logReturns } from '../../src/labels/volatility.js';
import { randomWalk, seriesFrom } from '../indicators/series.js';
import { errorOf, list } from './label-helpers.js';

const B = 0;
const H = 1;
const S = 2;

const base: TripleBarrierOptions = {
  ptMultiplier: 1,
  slMultiplier: 1,
  maxHoldingPeriod: 2,
  volSpan: 2,
  volMethod: 'atr',
  computeWeights: false,
};

/** Bars whose high and low sit 1 % either side of the close, so the `atr` volatility is exactly 0.02 on every bar. */
function onePercentBars(close: number[]) {
  return seriesFrom({ close, high: close.map((c) => c * 1.01), low: close.map((c) => c * 0.99) });
}

describe('tripleBarrierLabels', () => {
  it('labels the first barrier touched, and the vertical barrier by the return against vol·√M·0.5', () => {
    // vol 0.02, pt = sl = 1: barriers at C·1.02 and C·0.98.
    // t0 100: bar 1 high 102.01 ≥ 102 → BUY after 1 bar.   t1 101: bar 2 high 104.535 ≥ 103.02 → BUY.
    // t2 103.5: bar 3 low 100.98 ≤ 101.43 → SELL.           t3 102: bar 4 low 98.01 ≤ 99.96 → SELL.
    // t4 99: bars 5, 6 stay inside [97.02, 100.98]; ret = 98.5/99 − 1 = −0.51 % and 0.02·√2·0.5 = 1.41 % → HOLD after 2.
    // t5, t6 cannot see 2 bars ahead.
    const labels = tripleBarrierLabels(onePercentBars([100, 101, 103.5, 102, 99, 98.2, 98.5]), base);
    expect(labels.classes).toEqual(['BUY', 'HOLD', 'SELL']);
    expect(list(labels.values)).toEqual([B, B, S, S, H, NaN, NaN]);
    expect(list(labels.lastBarRead!)).toEqual([1, 2, 3, 4, 6, -1, -1]);
    expect(labels.unlabelled).toEqual({ beyondData: 2, filtered: 0 });
    expect(labels.weights).toBeUndefined();
  });

  it('a timed-out move larger than vol·√M·0.5 takes the sign of the return', () => {
    // vol 0.02 and pt = sl = 3: barriers ±6 %; threshold 0.02·√2·0.5 = 1.41 %; 100 → 102 is +2 % → BUY, 101 → 102 is
    // +0.99 % → HOLD, 100 → 98 → SELL.
    const options = { ...base, ptMultiplier: 3, slMultiplier: 3 };
    expect(list(tripleBarrierLabels(onePercentBars([100, 101, 102, 102]), options).values.subarray(0, 2))).toEqual([B, H]);
    expect(tripleBarrierLabels(onePercentBars([100, 99, 98, 98]), options).values[0]).toBe(S);
  });

  it('breaks a bar touching both barriers by its close against the entry close', () => {
    // Bar 0 range 1 % of the close → vol[0] = 0.01, barriers 101 and 99; bar 1 spans 97..103 and touches both.
    const bars = (close1: number) => seriesFrom({ close: [100, close1, 100, 100], high: [100.5, 103, 100, 100], low: [99.5, 97, 100, 100] });
    const options = { ...base, maxHoldingPeriod: 1 };
    expect(tripleBarrierLabels(bars(100.5), options).values[0]).toBe(B);
    expect(tripleBarrierLabels(bars(100), options).values[0]).toBe(B);
    expect(tripleBarrierLabels(bars(99.6), options).values[0]).toBe(S);
  });

  it('fills the volatility warm-up with the first valid value', () => {
    const series = seriesFrom({ close: [100, 101, 100, 102] });
    const vol = barrierVolatility(series, logReturns(series.close), 'log_return_std', 2);
    expect(vol[2]).toBeGreaterThan(0);
    expect(vol[0]).toBe(vol[2]);
    expect(vol[1]).toBe(vol[2]);
  });

  it('keeps only CUSUM event bars and counts the rest as filtered', () => {
    const series = randomWalk(400, 3);
    const all = tripleBarrierLabels(series, { ...base, maxHoldingPeriod: 10, volSpan: 20 });
    const events = cusumEvents(logReturns(series.close), { threshold: 0.004, multiplier: 0.5, span: 20 }).events;
    const filtered = tripleBarrierLabels(series, { ...base, maxHoldingPeriod: 10, volSpan: 20, cusum: { threshold: 0.004, multiplier: 0.5 } });
    let kept = 0;
    for (let t = 0; t < 390; t++) {
      if (events[t]) {
        kept++;
        expect(filtered.values[t]).toBe(all.values[t]);
      } else expect(filtered.values[t]).toBeNaN();
    }
    expect(kept).toBeGreaterThan(10);
    expect(filtered.unlabelled.filtered).toBe(390 - kept);
  });

  it('attaches uniqueness weights with mean 1 when asked', () => {
    const labels = tripleBarrierLabels(randomWalk(300, 5), { ...base, maxHoldingPeriod: 10, volSpan: 20, computeWeights: true });
    const weights = list(labels.weights!).filter((w) => !Number.isNaN(w));
    expect(weights).toHaveLength(290);
    expect(weights.reduce((s, w) => s + w, 0) / weights.length).toBeCloseTo(1, 12);
  });

  it('refuses bad parameters and too little data with stable codes', () => {
    const series = onePercentBars([100, 101, 102, 103]);
    expect(errorOf(() => tripleBarrierLabels(series, { ...base, ptMultiplier: 0 })).code).toBe('LABEL_PARAMS_INVALID');
    expect(errorOf(() => tripleBarrierLabels(series, { ...base, maxHoldingPeriod: 1.5 })).code).toBe('LABEL_PARAMS_INVALID');
    expect(errorOf(() => tripleBarrierLabels(series, { ...base, maxHoldingPeriod: 3 })).code).toBe('DATA_INSUFFICIENT');
  });
});

describe('cusumEvents', () => {
  it('fires when a drift-adjusted sum passes h, and resets the sum that fired', () => {
    // h = 0.01. s⁺: 0.01, 0.02 → event at 2, reset. s⁻: 0, 0, 0, −0.02 → event at 4, reset; −0.02 → event at 5.
    const returns = Float64Array.from([NaN, 0.02, 0.02, -0.01, -0.03, -0.03, 0]);
    const { events, threshold } = cusumEvents(returns, { threshold: 0.01, multiplier: 0.5, span: 3 });
    expect(threshold).toBe(0.01);
    expect(list(events)).toEqual([0, 0, 1, 0, 1, 1, 0]);
  });

  it('derives h from the mean EWM std when the threshold is 0, and refuses flat prices', () => {
    const returns = Float64Array.from([NaN, 0.01, -0.01, 0.01, -0.01]);
    expect(cusumEvents(returns, { threshold: 0, multiplier: 0.5, span: 3 }).threshold).toBeGreaterThan(0);
    const flat = Float64Array.from([NaN, 0, 0, 0]);
    expect(errorOf(() => cusumEvents(flat, { threshold: 0, multiplier: 0.5, span: 3 })).code).toBe('LABEL_PARAMS_INVALID');
  });
});

describe('uniquenessWeights', () => {
  it('is the mean of 1/concurrency over each span, scaled to mean 1', () => {
    // spans [0,2), [1,3), [2,3): concurrency [1, 2, 2, 0]; raw weights 0.75, 0.5, 0.5 (mean 7/12).
    expect(list(uniquenessWeights(Int32Array.from([2, 2, 1, 0]))).map((w) => (Number.isNaN(w) ? w : Number(w.toFixed(12))))).toEqual([
      Number((9 / 7).toFixed(12)),
      Number((6 / 7).toFixed(12)),
      Number((6 / 7).toFixed(12)),
      NaN,
    ]);
  });
});
