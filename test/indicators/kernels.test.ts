import { describe, expect, it } from 'vitest';
import { aroon } from '../../src/indicators/aroon.js';
import { atr } from '../../src/indicators/atr.js';
import { donchian, keltner } from '../../src/indicators/channels.js';
import { momentum, roc, rsi } from '../../src/indicators/momentum.js';
import { wma } from '../../src/indicators/moving-averages.js';
import { parabolicSar } from '../../src/indicators/psar.js';
import { parseIndicatorParams, requireIndicator } from '../../src/indicators/registry.js';
import { ema, rollingExtreme, rollingMax, rollingMin, sma, wilderSum } from '../../src/indicators/rolling.js';
import { cmf, obv, vwap } from '../../src/indicators/volume.js';
import { randomWalk, roundedWalk, seriesFrom } from './series.js';

const f64 = (values: number[]) => Float64Array.from(values);
const list = (values: Float64Array) => Array.from(values);

describe('moving averages and momentum on hand-computed series', () => {
  const ramp = f64([1, 2, 3, 4, 5]);

  it('should compute SMA, SMA-seeded EMA and WMA', () => {
    expect(list(sma(ramp, 3))).toEqual([NaN, NaN, 2, 3, 4]);
    expect(list(ema(ramp, 3))).toEqual([NaN, NaN, 2, 3, 4]);
    const weighted = list(wma(ramp, 3));
    expect(weighted.slice(0, 2)).toEqual([NaN, NaN]);
    expect(weighted[2]).toBeCloseTo(14 / 6, 14);
    expect(weighted[3]).toBeCloseTo(20 / 6, 14);
    expect(weighted[4]).toBeCloseTo(26 / 6, 14);
  });

  it('should keep the running WMA equal to a direct weighted sum over a long series', () => {
    const values = randomWalk(5000).close;
    const weighted = wma(values, 30);
    for (const i of [29, 30, 1000, 4999]) {
      let direct = 0;
      for (let k = 0; k < 30; k++) direct += (k + 1) * values[i - 29 + k];
      expect(weighted[i]).toBeCloseTo(direct / 465, 9);
    }
  });

  it('should read derived sources: typical (H+L+C)/3 and median (H+L)/2', () => {
    const series = seriesFrom({ close: [3, 6], high: [6, 9], low: [0, 3] });
    const definition = requireIndicator('sma');
    expect(list(definition.compute(series, parseIndicatorParams(definition, { period: 1, source: 'typical' })).value)).toEqual([3, 6]);
    expect(list(definition.compute(series, parseIndicatorParams(definition, { period: 1, source: 'median' })).value)).toEqual([3, 6]);
    expect(list(definition.compute(series, parseIndicatorParams(definition, { period: 1, source: 'high' })).value)).toEqual([6, 9]);
  });

  it('should start a window at the first non-NaN value, as TTR does for chained inputs', () => {
    expect(list(ema(f64([NaN, NaN, 1, 2, 3, 4]), 3))).toEqual([NaN, NaN, NaN, NaN, 2, 3]);
    expect(list(sma(f64([NaN, 4, 6]), 2))).toEqual([NaN, NaN, 5]);
  });

  it('should seed the Wilder sum with the plain sum of the first period − 1 values', () => {
    // TTR: wilderSum(x, 5)[5] = sum(x[1:4])·4/5 + x[5]
    expect(wilderSum(f64([1, 2, 3, 4, 5, 6]), 5)[4]).toBeCloseTo((10 * 4) / 5 + 5, 14);
    expect(wilderSum(f64([1, 2, 3, 4, 5, 6]), 5)[5]).toBeCloseTo(((10 * 4) / 5 + 5) * 0.8 + 6, 14);
  });

  it("should compute Wilder's RSI with the SMA seed", () => {
    expect(list(rsi(f64([1, 2, 1, 2]), 2))).toEqual([NaN, NaN, 50, 75]);
  });

  it('should compute momentum and ROC in percent and as a log return', () => {
    const prices = f64([10, 11, 12, 9.9]);
    expect(list(momentum(prices, 2))).toEqual([NaN, NaN, 2, 9.9 - 11]);
    const percent = list(roc(prices, 2));
    expect(percent[2]).toBeCloseTo(20, 12);
    expect(percent[3]).toBeCloseTo(-10, 12);
    expect(roc(prices, 2, 'log')[2]).toBeCloseTo(Math.log(1.2), 14);
    expect(Number.isNaN(roc(f64([0, 1, 2]), 1)[1])).toBe(true);
  });
});

describe('rolling extremes', () => {
  it('should match a brute-force window scan, ties to the most recent bar', () => {
    const values = roundedWalk(500).close;
    for (const period of [1, 2, 5, 14, 50]) {
      const ages = new Float64Array(values.length);
      const highest = rollingExtreme(values, period, 1, ages);
      const lowest = rollingMin(values, period);
      expect(list(rollingMax(values, period))).toEqual(list(highest));
      for (let i = period - 1; i < values.length; i++) {
        const window = Array.from(values.subarray(i - period + 1, i + 1));
        expect(highest[i]).toBe(Math.max(...window));
        expect(lowest[i]).toBe(Math.min(...window));
        expect(ages[i]).toBe(window.length - 1 - window.lastIndexOf(highest[i]));
      }
    }
  });

  it('should compute Donchian channels and Aroon from them', () => {
    const series = roundedWalk(200);
    const channel = donchian(series, 20);
    const up = aroon(series, 14);
    for (let i = 14; i < 200; i++) {
      const highs = Array.from(series.high.subarray(i - 14, i + 1));
      const lows = Array.from(series.low.subarray(i - 14, i + 1));
      expect(up.up[i]).toBe((100 * (14 - (14 - highs.lastIndexOf(Math.max(...highs))))) / 14);
      expect(up.down[i]).toBe((100 * (14 - (14 - lows.lastIndexOf(Math.min(...lows))))) / 14);
    }
    expect(Number.isNaN(up.up[13])).toBe(true);
    expect(channel.middle[50]).toBe((channel.upper[50] + channel.lower[50]) / 2);
  });
});

describe('channels, SAR and volume indicators on hand-computed series', () => {
  it('should build Keltner channels from the EMA and the Wilder ATR', () => {
    const series = randomWalk(120);
    const bands = keltner(series, series.close, 20, 10, 2);
    const middle = ema(series.close, 20);
    const range = atr(series, 10);
    expect(list(bands.middle)).toEqual(list(middle));
    expect(bands.upper[100]).toBeCloseTo(middle[100] + 2 * range[100], 12);
    expect(bands.lower[100]).toBeCloseTo(middle[100] - 2 * range[100], 12);
    expect(Number.isNaN(bands.upper[18])).toBe(true);
  });

  it("should follow Wilder's parabolic SAR through a trend and a reversal", () => {
    const series = seriesFrom({ close: [9.5, 10.5, 11.5, 12.5, 11.5, 9], high: [10, 11, 12, 13, 12, 10], low: [9, 10, 11, 12, 11, 8] });
    const sar = list(parabolicSar(series, 0.02, 0.02, 0.2));
    expect(sar[0]).toBeNaN();
    [9, 9.04, 9.1584, 9.388896].forEach((want, k) => expect(sar[k + 1]).toBeCloseTo(want, 12));
    // Bar 5's low crosses the SAR: it reverses to the extreme point of the up-swing.
    expect(sar[5]).toBe(13);
  });

  it('should compute rolling and cumulative VWAP, CMF and OBV', () => {
    expect(list(vwap(f64([1, 2, 3]), f64([1, 1, 2]), 2))).toEqual([NaN, 1.5, 8 / 3]);
    expect(list(vwap(f64([1, 2, 3]), f64([1, 1, 2]), 0))).toEqual([1, 1.5, 9 / 4]);
    const bars = seriesFrom({ high: [10, 10], low: [0, 0], close: [10, 0], volume: [1, 3] });
    expect(list(cmf(bars, 2))).toEqual([NaN, -0.5]);
    const closes = seriesFrom({ close: [1, 2, 2, 1], volume: [10, 20, 30, 40] });
    expect(list(obv(closes))).toEqual([10, 30, 30, -10]);
  });
});
