import { describe, expect, it } from 'vitest';
import { bollinger } from '../../src/indicators/bollinger.js';
import { distanceFromMa, volumeRatio } from '../../src/indicators/ratios.js';
import { parseIndicatorParams, requireIndicator } from '../../src/indicators/registry.js';
import { flatSeries, seriesFrom } from './series.js';
import { maxRelativeGap, spxDaily } from './spx.js';

/**
 * The catalogue indicators TTR does not have (or has under another definition): hand-computed small cases, edge
 * cases, and a deliberately naive reference (each window recomputed from scratch) over the bundled S&P 500 bars.
 */

const f64 = (values: number[]) => Float64Array.from(values);
const list = (values: Float64Array) => Array.from(values);
const spx = spxDaily();

function compute(type: string, series = spx, raw: Record<string, unknown> = {}): Record<string, Float64Array> {
  const definition = requireIndicator(type);
  return definition.compute(series, parseIndicatorParams(definition, raw));
}

function naiveMean(values: Float64Array, end: number, period: number): number {
  let sum = 0;
  for (let k = end - period + 1; k <= end; k++) sum += values[k];
  return sum / period;
}

function naive(length: number, from: number, fn: (i: number) => number): Float64Array {
  const out = new Float64Array(length).fill(NaN);
  for (let i = from; i < length; i++) out[i] = fn(i);
  return out;
}

describe('bollingerbandwidth', () => {
  it('should equal (upper − lower)/middle with the population SD, by hand', () => {
    // Window [1, 2, 3]: mean 2, population SD √(2/3); width = 2·2·SD/2.
    const width = compute('bollingerbandwidth', seriesFrom({ close: [1, 2, 3, 5] }), { period: 3 }).value;
    expect(list(width.subarray(0, 2))).toEqual([NaN, NaN]);
    expect(width[2]).toBeCloseTo((4 * Math.sqrt(2 / 3)) / 2, 14);
    const sd = Math.sqrt(((2 - 10 / 3) ** 2 + (3 - 10 / 3) ** 2 + (5 - 10 / 3) ** 2) / 3);
    expect(width[3]).toBeCloseTo((4 * sd) / (10 / 3), 14);
  });

  it('should match a naive two-pass SD over the S&P 500 to 1e-9 and equal bbands.bandwidth exactly', () => {
    const { close } = spx;
    const reference = naive(close.length, 19, (i) => {
      const mean = naiveMean(close, i, 20);
      let squares = 0;
      for (let k = i - 19; k <= i; k++) squares += (close[k] - mean) ** 2;
      return (2 * 2 * Math.sqrt(squares / 20)) / mean;
    });
    const width = compute('bollingerbandwidth').value;
    expect(maxRelativeGap(width, reference)).toBeLessThan(1e-9);
    expect(list(width)).toEqual(list(bollinger(close, 20, 2).bandwidth));
    expect(compute('bbwidth', spx, { multiplier: 2.5 }).value[100]).toBeCloseTo(width[100] * 1.25, 12);
  });

  it('should be 0 on a flat series after period − 1 NaN bars', () => {
    const width = compute('bollingerbandwidth', flatSeries(30)).value;
    expect(list(width.subarray(0, 19)).every(Number.isNaN)).toBe(true);
    expect(list(width.subarray(19)).every((v) => v === 0)).toBe(true);
  });
});

describe('distancefromma', () => {
  it('should give the percent distance from the SMA or the SMA-seeded EMA, by hand', () => {
    const values = f64([1, 2, 3, 6]);
    expect(list(distanceFromMa(values, 3, 'sma'))).toEqual([NaN, NaN, 50, (100 * (6 - 11 / 3)) / (11 / 3)]);
    // EMA(3): seed 2 at bar 2, then 6·0.5 + 2·0.5 = 4.
    expect(list(distanceFromMa(values, 3, 'ema'))).toEqual([NaN, NaN, 50, 50]);
    expect(list(distanceFromMa(f64([0, 0, 0]), 2, 'sma'))).toEqual([NaN, 0, 0]);
  });

  it('should accept the original spelling `ma_type: EMA` and give an `_ema` id', () => {
    const definition = requireIndicator('DistanceFromMA');
    const params = parseIndicatorParams(definition, { period: 10, ma_type: 'EMA' });
    expect(params.ma_type).toBe('ema');
    expect(definition.defaultId(params)).toBe('distancefromma_10_ema');
    expect(definition.defaultId(parseIndicatorParams(definition, {}))).toBe('distancefromma_20');
    expect(() => parseIndicatorParams(definition, { ma_type: 'wma' })).toThrow(/ma_type/);
  });

  it('should match a naive SMA and a naive SMA-seeded EMA over the S&P 500 to 1e-9', () => {
    const { close } = spx;
    const smaReference = naive(close.length, 19, (i) => (100 * (close[i] - naiveMean(close, i, 20))) / naiveMean(close, i, 20));
    expect(maxRelativeGap(compute('distancefromma').value, smaReference)).toBeLessThan(1e-9);
    const emaValues = new Float64Array(close.length).fill(NaN);
    emaValues[19] = naiveMean(close, 19, 20);
    for (let i = 20; i < close.length; i++) emaValues[i] = emaValues[i - 1] + (2 / 21) * (close[i] - emaValues[i - 1]);
    const emaReference = naive(close.length, 19, (i) => (100 * (close[i] - emaValues[i])) / emaValues[i]);
    expect(maxRelativeGap(compute('distancefromma', spx, { ma_type: 'EMA' }).value, emaReference)).toBeLessThan(1e-9);
  });

  it('should be 0 on a flat series', () => {
    expect(list(compute('distancefromma', flatSeries(25)).value.subarray(19)).every((v) => v === 0)).toBe(true);
  });
});

describe('volumeratio', () => {
  it('should divide the volume by its SMA (current bar included), by hand', () => {
    expect(list(volumeRatio(f64([1, 3, 2, 6]), 2))).toEqual([NaN, 1.5, 0.8, 1.5]);
  });

  it('should match a naive window mean over the S&P 500 to 1e-9', () => {
    const { volume } = spx;
    const reference = naive(volume.length, 19, (i) => volume[i] / naiveMean(volume, i, 20));
    expect(maxRelativeGap(compute('volumeratio').value, reference)).toBeLessThan(1e-9);
  });

  it('should give 1 on constant volume and on a window without volume, exactly', () => {
    expect(list(compute('volumeratio', flatSeries(25)).value.subarray(19)).every((v) => v === 1)).toBe(true);
    const volume = [...Array<number>(20).fill(1e9 + 0.1), ...Array<number>(25).fill(0)];
    const ratio = volumeRatio(Float64Array.from(volume), 20);
    expect(ratio[38]).toBe(0);
    expect(ratio[39]).toBe(1);
    expect(ratio[44]).toBe(1);
  });
});
