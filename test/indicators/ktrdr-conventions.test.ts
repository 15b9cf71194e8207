import { describe, expect, it } from 'vitest';
import { parseStrategy } from '../../src/config/strategy.js';
import { computeFeatures } from '../../src/features/index.js';
import { KTRDR_VARIANTS, ktrdrTrueRange } from '../../src/indicators/ktrdr-conventions.js';
import { requireIndicator } from '../../src/indicators/registry.js';
import { randomWalk, seriesFrom } from './series.js';

/** Computes a registry indicator with its ktrdr variant, parameters parsed by the indicator's own schema. */
function ktrdr(type: string, params: Record<string, unknown>, series = randomWalk(300, 4)) {
  const parsed = requireIndicator(type).params.parse(params) as Record<string, unknown>;
  return KTRDR_VARIANTS.get(type)!(series, parsed);
}

const close = (values: number[]) => seriesFrom({ close: values });

describe('ktrdr conventions (the original pandas formulas, reference §3.2)', () => {
  it('ema is pandas ewm(span, adjust=True), defined from bar 0', () => {
    // span 3, alpha 0.5: 1; (2 + 0.5)/1.5; (3 + 1 + 0.25)/1.75
    const { value } = ktrdr('ema', { period: 3 }, close([1, 2, 3]));
    expect(value[0]).toBe(1);
    expect(value[1]).toBeCloseTo(5 / 3, 12);
    expect(value[2]).toBeCloseTo(17 / 7, 12);
  });

  it('macd uses adjust=False EMAs seeded with bar 0', () => {
    // fast 2 (alpha 2/3): 1, 5/3, 23/9; slow 3 (alpha 1/2): 1, 3/2, 9/4; line 0, 1/6, 11/36; signal 2 (alpha 2/3): 0, 1/9, 13/54.
    const { line, signal, histogram } = ktrdr('macd', { fast: 2, slow: 3, signal: 2 }, close([1, 2, 3]));
    expect(Array.from(line).map((v) => Number(v.toFixed(12)))).toEqual([0, 1 / 6, 11 / 36].map((v) => Number(v.toFixed(12))));
    expect(signal[2]).toBeCloseTo(13 / 54, 12);
    expect(histogram[2]).toBeCloseTo(11 / 36 - 13 / 54, 12);
  });

  it('bbands use the sample standard deviation', () => {
    // [1, 2, 3]: mean 2, sample SD 1 (population SD would be 0.816...).
    const { upper, middle, lower } = ktrdr('bbands', { period: 3, multiplier: 2 }, close([1, 2, 3]));
    expect([upper[2], middle[2], lower[2]]).toEqual([4, 2, 0]);
    expect(upper[1]).toBeNaN();
  });

  it('atr is the simple mean of a true range whose first bar is H − L', () => {
    const series = seriesFrom({ close: [10, 11, 9], high: [10.5, 11.5, 10], low: [9.5, 10.5, 8] });
    // TR: 1 (H − L), max(1, 1.5, 0.5) = 1.5, max(2, 1, 3) = 3; ATR(2): NaN, 1.25, 2.25.
    expect(Array.from(ktrdrTrueRange(series))).toEqual([1, 1.5, 3]);
    expect(Array.from(ktrdr('atr', { period: 2 }, series).atr)).toEqual([NaN, 1.25, 2.25]);
  });

  it('adx follows the Wilder ewm(alpha = 1/period, adjust=False) formulas from bar 0', () => {
    const series = randomWalk(200, 12);
    const period = 14;
    const { adx, plus_di: plusDi, minus_di: minusDi } = ktrdr('adx', { period }, series);
    // Reference, written from the formulas one bar at a time.
    const a = 1 / period;
    let tr = series.high[0] - series.low[0];
    let pdm = 0;
    let mdm = 0;
    let adxRef = 0;
    for (let i = 0; i < 200; i++) {
      if (i > 0) {
        const h = series.high[i];
        const l = series.low[i];
        const pc = series.close[i - 1];
        const up = h - series.high[i - 1];
        const down = series.low[i - 1] - l;
        tr = a * Math.max(h - l, Math.abs(h - pc), Math.abs(l - pc)) + (1 - a) * tr;
        pdm = a * (up > down && up > 0 ? up : 0) + (1 - a) * pdm;
        mdm = a * (down > up && down > 0 ? down : 0) + (1 - a) * mdm;
      }
      const pdi = (100 * pdm) / tr;
      const mdi = (100 * mdm) / tr;
      const dx = pdi + mdi === 0 ? 0 : (100 * Math.abs(pdi - mdi)) / (pdi + mdi);
      adxRef = i === 0 ? dx : a * dx + (1 - a) * adxRef;
      expect(plusDi[i]).toBeCloseTo(pdi, 9);
      expect(minusDi[i]).toBeCloseTo(mdi, 9);
      expect(adx[i]).toBeCloseTo(adxRef, 9);
    }
  });

  it('stochastic fills warm-up and flat windows with 50 and smooths with partial windows', () => {
    const series = seriesFrom({ close: [5, 5, 6, 8, 7], high: [5, 5, 6, 8, 8], low: [5, 5, 5, 6, 6] });
    const { fast_k: fastK, slow_k: slowK, slow_d: slowD } = ktrdr('stochastic', { period: 2, smooth: 2, signal: 2 }, series);
    // raw %K: warm-up 50, flat 50, (6 − 5)/(6 − 5) = 100, (8 − 5)/(8 − 5) = 100, (7 − 6)/(8 − 6) = 50.
    expect(Array.from(fastK)).toEqual([50, 50, 100, 100, 50]);
    expect(Array.from(slowK)).toEqual([50, 50, 75, 100, 75]);
    expect(Array.from(slowD)).toEqual([50, 50, 62.5, 87.5, 87.5]);
  });

  it('keltner centres on a bar-0-seeded ewm and widens by the simple-mean ATR', () => {
    const series = seriesFrom({ close: [10, 11, 9], high: [10.5, 11.5, 10], low: [9.5, 10.5, 8] });
    // ewm span 3 (alpha 1/2): 10, 10.5, 9.75; ATR(2) of TR [1, 1.5, 3]: NaN, 1.25, 2.25; multiplier 2.
    const { upper, middle, lower } = ktrdr('keltner', { period: 3, atr_period: 2, multiplier: 2 }, series);
    expect(Array.from(middle)).toEqual([10, 10.5, 9.75]);
    expect(Array.from(upper)).toEqual([NaN, 13, 14.25]);
    expect(Array.from(lower)).toEqual([NaN, 8, 5.25]);
  });

  it('supertrend ratchets on the simple-mean ATR from its first value (not the all-NaN original)', () => {
    const series = randomWalk(300, 5);
    const { trend, direction } = ktrdr('supertrend', { period: 10, multiplier: 3 }, series);
    // The simple mean of TR has its first value at bar period − 1 = 9 (TR[0] = H − L exists).
    expect(trend[8]).toBeNaN();
    expect(trend[9]).not.toBeNaN();
    expect(direction[9]).toBe(-1);
    const mid = (series.high[9] + series.low[9]) / 2;
    const tr = Array.from(ktrdrTrueRange(series).subarray(0, 10));
    expect(trend[9]).toBeCloseTo(mid + (3 * tr.reduce((a, b) => a + b, 0)) / 10, 12);
    expect(new Set(Array.from(direction.subarray(9)))).toEqual(new Set([1, -1]));
  });

  it('squeezeintensity is 0 in the warm-up and uses sample-SD bands in the original channel', () => {
    const series = randomWalk(200, 9);
    const { value } = ktrdr('squeezeintensity', { bb_period: 20, kc_period: 20 }, series);
    expect(Array.from(value.subarray(0, 19))).toEqual(Array<number>(19).fill(0));
    expect(value.every((v) => v >= 0 && v <= 0.5)).toBe(true);
    // Brute force at one bar: BB(20, 2, ddof 1) inside KC(ewm 20 adjust=False, ATR 10 simple mean, 2).
    const i = 150;
    const window = Array.from(series.close.subarray(i - 19, i + 1));
    const mean = window.reduce((a, b) => a + b, 0) / 20;
    const sd = Math.sqrt(window.reduce((a, b) => a + (b - mean) ** 2, 0) / 19);
    let middle = series.close[0];
    for (let j = 1; j <= i; j++) middle = (2 / 21) * series.close[j] + (1 - 2 / 21) * middle;
    const atr = Array.from(ktrdrTrueRange(series).subarray(i - 9, i + 1)).reduce((a, b) => a + b, 0) / 10;
    const width = 4 * atr;
    const expected = Math.max(0, Math.min((middle + 2 * atr - (mean + 2 * sd)) / width, (mean - 2 * sd - (middle - 2 * atr)) / width));
    expect(value[i]).toBeCloseTo(expected, 12);
  });

  it('fishertransform smooths with ewm(adjust=False) seeded at the first raw value', () => {
    const series = randomWalk(60, 3);
    const { fisher, signal } = ktrdr('fishertransform', { period: 5, smoothing: 3 }, series);
    const raw = (i: number) => {
      const hh = Math.max(...series.high.subarray(i - 4, i + 1));
      const ll = Math.min(...series.low.subarray(i - 4, i + 1));
      const x = Math.max(-0.999, Math.min(0.999, (2 * ((series.high[i] + series.low[i]) / 2 - ll)) / (hh - ll) - 1));
      return 0.5 * Math.log((1 + x) / (1 - x));
    };
    expect(fisher[3]).toBeNaN();
    expect(fisher[4]).toBeCloseTo(raw(4), 12);
    expect(fisher[5]).toBeCloseTo(0.5 * raw(5) + 0.5 * raw(4), 12);
    expect(signal[5]).toBe(fisher[4]);
  });

  it('volumeratio is 1.0 during the warm-up', () => {
    const series = seriesFrom({ close: [1, 1, 1, 1], volume: [100, 200, 300, 600] });
    // 300/200 and 600/(1100/3).
    const { value } = ktrdr('volumeratio', { period: 3 }, series);
    expect(Array.from(value.subarray(0, 3))).toEqual([1, 1, 1.5]);
    expect(value[3]).toBeCloseTo(1800 / 1100, 14);
  });
});

describe('conventions: ktrdr in a strategy', () => {
  const yaml = (conventions: string) => `name: conv
${conventions}training_data: {symbols: [SPX], timeframes: [1d]}
indicators: {adx: {type: adx}, bb: {type: bbands}}
fuzzy_sets:
  trend: {indicator: adx, strong: [20, 40, 100]}
  band: {indicator: bb.pct_b, low: [-1, 0, 0.5]}
nn_inputs: [{fuzzy_set: trend}, {fuzzy_set: band}, {raw_indicator: bb.upper}]
model: {hidden_layers: [4]}
`;

  it('defaults to TTR conventions and switches the listed indicators to the original formulas', () => {
    const series = new Map([['1d', randomWalk(400, 21)]]);
    expect(parseStrategy(yaml('')).conventions).toBe('ttr');
    const ttr = computeFeatures(parseStrategy(yaml('')), series);
    const original = computeFeatures(parseStrategy(yaml('conventions: ktrdr\n')), series);
    expect(original.names).toEqual(ttr.names);
    // The original ADX has no warm-up, so only the Bollinger warm-up (19 bars) drops rows; TTR's ADX needs 27.
    expect(original.droppedRows).toBe(19);
    expect(ttr.droppedRows).toBe(27);
    const upper = (m: typeof ttr, bar: number) => m.values[m.barIndex.indexOf(bar) * 4 + 3];
    // Sample SD is wider than population SD: the upper band of the original is higher on every bar both have.
    expect(upper(original, 300)).toBeGreaterThan(upper(ttr, 300));
    expect(() => parseStrategy(yaml('conventions: talib\n'))).toThrow(/conventions: must be one of ttr, ktrdr/);
  });
});
