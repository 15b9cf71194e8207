import { describe, expect, it } from 'vitest';
import { parseStrategy } from '../../src/config/strategy.js';
import { bollinger } from '../../src/indicators/bollinger.js';
import { ichimoku } from '../../src/indicators/ichimoku.js';
import { fisherTransform, rvi } from '../../src/indicators/oscillators.js';
import { distanceFromMa, volumeRatio } from '../../src/indicators/ratios.js';
import { squeezeIntensity } from '../../src/indicators/squeeze.js';
import { parseIndicatorParams, requireIndicator } from '../../src/indicators/registry.js';
import { supertrend } from '../../src/indicators/supertrend.js';
import { adLine } from '../../src/indicators/volume.js';
import { flatSeries, randomWalk, seriesFrom } from './series.js';
import { maxRelativeGap, spxDaily } from './spx.js';

/**
 * The catalogue indicators of the original that were missing here. TTR lacks most of them (it has `chaikinAD`, the
 * A/D line, and BBands, from which the bandwidth follows); without R to make fixtures, each is checked by
 * hand-computed small cases, edge cases, and a deliberately naive reference (every window recomputed from scratch,
 * recursions written out) over the bundled S&P 500 bars, to 1e-9 relative.
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

describe('adline', () => {
  it('should accumulate close-location-weighted volume from bar 0, by hand', () => {
    const series = seriesFrom({ high: [10, 12, 11, 11], low: [8, 10, 9, 11], close: [9.5, 10, 11, 11], volume: [100, 200, 300, 400] });
    const out = adLine(series);
    expect(list(out.mf_multiplier)).toEqual([0.5, -1, 1, 0]);
    expect(list(out.mf_volume)).toEqual([50, -200, 300, 0]);
    expect(list(out.line)).toEqual([50, -150, 150, 150]);
    expect(list(out.roc_10).every(Number.isNaN)).toBe(true);
  });

  it('should match a naive cumulative sum and its companions over the S&P 500 to 1e-9', () => {
    const { high, low, close, volume } = spx;
    const clv = (i: number) => (high[i] === low[i] ? 0 : (close[i] - low[i] - (high[i] - close[i])) / (high[i] - low[i]));
    const line = naive(close.length, 0, (i) => {
      let sum = 0;
      for (let k = 0; k <= i; k++) sum += clv(k) * volume[k];
      return sum;
    });
    const out = compute('adline');
    expect(maxRelativeGap(out.line, line)).toBeLessThan(1e-9);
    expect(maxRelativeGap(out.mf_multiplier, naive(close.length, 0, clv))).toBeLessThan(1e-9);
    expect(
      maxRelativeGap(
        out.momentum_21,
        naive(close.length, 21, (i) => line[i] - line[i - 21]),
      ),
    ).toBeLessThan(1e-9);
    expect(
      maxRelativeGap(
        out.roc_10,
        naive(close.length, 10, (i) => (100 * (line[i] - line[i - 10])) / line[i - 10]),
      ),
    ).toBeLessThan(1e-9);
    const strength = naive(close.length, 49, (i) => 100 * (line[i] / naiveMean(line, i, 50) - 1));
    expect(maxRelativeGap(out.relative_strength, strength)).toBeLessThan(1e-9);
  });

  it('should smooth the line with an SMA when asked, where the original raised an output mismatch', () => {
    const raw = compute('adline').line;
    const definition = requireIndicator('AccumulationDistribution');
    const params = parseIndicatorParams(definition, { use_sma_smoothing: true, smoothing_period: 5 });
    expect(definition.defaultId(params)).toBe('adline_sma5');
    const smoothed = definition.compute(spx, params).line;
    expect(list(smoothed.subarray(0, 4)).every(Number.isNaN)).toBe(true);
    expect(
      maxRelativeGap(
        smoothed,
        naive(raw.length, 4, (i) => naiveMean(raw, i, 5)),
      ),
    ).toBeLessThan(1e-9);
  });

  it('should stay at 0 on a flat series (H == L: no location, no flow)', () => {
    expect(list(adLine(flatSeries(30)).line).every((v) => v === 0)).toBe(true);
  });
});

/** Textbook supertrend written out with full arrays of final bands, ATR recomputed from |H − L|, |H − C₋₁|, |L − C₋₁|. */
function naiveSupertrend(high: Float64Array, low: Float64Array, close: Float64Array, period: number, k: number) {
  const n = close.length;
  const tr = naive(n, 1, (i) => Math.max(high[i] - low[i], Math.abs(high[i] - close[i - 1]), Math.abs(low[i] - close[i - 1])));
  const atr = new Float64Array(n).fill(NaN);
  atr[period] = naiveMean(tr, period, period);
  for (let i = period + 1; i < n; i++) atr[i] = (atr[i - 1] * (period - 1) + tr[i]) / period;
  const finalUpper = new Float64Array(n).fill(NaN);
  const finalLower = new Float64Array(n).fill(NaN);
  const trend = new Float64Array(n).fill(NaN);
  const direction = new Float64Array(n).fill(NaN);
  for (let i = period; i < n; i++) {
    const basicUpper = (high[i] + low[i]) / 2 + k * atr[i];
    const basicLower = (high[i] + low[i]) / 2 - k * atr[i];
    if (i === period) {
      finalUpper[i] = basicUpper;
      finalLower[i] = basicLower;
      direction[i] = -1;
    } else {
      finalUpper[i] = basicUpper < finalUpper[i - 1] || close[i - 1] > finalUpper[i - 1] ? basicUpper : finalUpper[i - 1];
      finalLower[i] = basicLower > finalLower[i - 1] || close[i - 1] < finalLower[i - 1] ? basicLower : finalLower[i - 1];
      if (direction[i - 1] === -1) direction[i] = close[i] > finalUpper[i] ? 1 : -1;
      else direction[i] = close[i] < finalLower[i] ? -1 : 1;
    }
    trend[i] = direction[i] === 1 ? finalLower[i] : finalUpper[i];
  }
  return { trend, direction };
}

describe('supertrend', () => {
  it('should ratchet the bands and flip direction on a close through them, by hand', () => {
    const series = seriesFrom({
      high: [10, 11, 12, 14, 13, 11],
      low: [8, 9, 10, 12, 11, 9],
      close: [9, 10.5, 11.5, 13.8, 11.2, 9.5],
    });
    const out = supertrend(series, 2, 1);
    expect(list(out.direction)).toEqual([NaN, NaN, -1, 1, 1, -1]);
    // ATR(2): 2, 2.25, 2.525, 2.3625. Bar 3 turns up on its lower band 13 − 2.25; bar 4 keeps it (the ratchet holds
    // although its own basic band 12 − 2.525 is lower); bar 5 closes below it and takes the ratcheted upper band.
    expect(list(out.trend.subarray(0, 4))).toEqual([NaN, NaN, 13, 10.75]);
    expect(out.trend[4]).toBe(10.75);
    expect(out.trend[5]).toBeCloseTo(10 + 2.3625, 12);
  });

  it('should match a naive textbook supertrend over the S&P 500 to 1e-9, with a value on every bar after warm-up', () => {
    const { high, low, close } = spx;
    for (const [period, k] of [
      [10, 3],
      [7, 1.5],
    ] as const) {
      const reference = naiveSupertrend(high, low, close, period, k);
      const out = compute('supertrend', spx, { period, multiplier: k });
      expect(maxRelativeGap(out.trend, reference.trend)).toBeLessThan(1e-9);
      expect(list(out.direction)).toEqual(list(reference.direction));
      // The original's defect was a trend of NaN on every bar: here only the warm-up is NaN.
      expect(list(out.trend.subarray(0, period)).every(Number.isNaN)).toBe(true);
      expect(list(out.trend.subarray(period)).some(Number.isNaN)).toBe(false);
    }
  });

  it('should only move the active band in the trend direction until the direction flips', () => {
    const { trend, direction } = supertrend(spx, 10, 3);
    let flips = 0;
    for (let i = 11; i < trend.length; i++) {
      if (direction[i] !== direction[i - 1]) {
        flips++;
        continue;
      }
      if (direction[i] === 1) expect(trend[i]).toBeGreaterThanOrEqual(trend[i - 1]);
      else expect(trend[i]).toBeLessThanOrEqual(trend[i - 1]);
    }
    expect(flips).toBeGreaterThan(20);
    expect(Array.from(direction.subarray(10)).every((d) => d === 1 || d === -1)).toBe(true);
  });

  it('should sit on the price with a flat series and stay down (no close ever breaks a band of width 0)', () => {
    const out = supertrend(flatSeries(20), 10, 3);
    expect(list(out.trend.subarray(10)).every((v) => v === 10)).toBe(true);
    expect(list(out.direction.subarray(10)).every((v) => v === -1)).toBe(true);
  });

  it('should not look ahead: a prefix of the bars gives the same values', () => {
    const walk = randomWalk(200);
    const full = supertrend(walk, 10, 3);
    const cut = supertrend(
      seriesFrom({
        high: Array.from(walk.high.subarray(0, 120)),
        low: Array.from(walk.low.subarray(0, 120)),
        close: Array.from(walk.close.subarray(0, 120)),
      }),
      10,
      3,
    );
    expect(list(cut.trend)).toEqual(list(full.trend.subarray(0, 120)));
  });
});

describe('rvi', () => {
  it('should divide 1-2-2-1 weighted close − open by weighted high − low, summed over the period, by hand', () => {
    const close = [1, 0, -1, 2, 1].map((co) => 10 + co);
    const range = [2, 2, 4, 4, 2];
    const series = seriesFrom({ open: Array<number>(5).fill(10), close, high: range.map((r) => 20 + r), low: Array<number>(5).fill(20) });
    const out = rvi(series, 2, 1);
    // weighted CO at bars 3, 4: 1/6, 3/6; weighted HL: 18/6, 20/6.
    expect(list(out.rvi.subarray(0, 4))).toEqual([NaN, NaN, NaN, NaN]);
    expect(out.rvi[4]).toBeCloseTo(4 / 38, 15);
    expect(out.signal[4]).toBe(out.rvi[4]);
  });

  it('should match a naive per-window computation over the S&P 500 to 1e-9', () => {
    const { open, high, low, close } = spx;
    const w = (f: (j: number) => number, j: number) => (f(j) + 2 * f(j - 1) + 2 * f(j - 2) + f(j - 3)) / 6;
    const co = (j: number) => close[j] - open[j];
    const hl = (j: number) => high[j] - low[j];
    const value = naive(close.length, 12, (i) => {
      let num = 0;
      let den = 0;
      for (let j = i - 9; j <= i; j++) {
        num += w(co, j);
        den += w(hl, j);
      }
      return num / den;
    });
    const out = compute('rvi');
    expect(maxRelativeGap(out.rvi, value)).toBeLessThan(1e-9);
    expect(
      maxRelativeGap(
        out.signal,
        naive(close.length, 15, (i) => naiveMean(value, i, 4)),
      ),
    ).toBeLessThan(1e-9);
  });

  it('should be 0 on a flat series after period + 2 NaN bars, signal after period + signal_period + 1', () => {
    const out = compute('RVI', flatSeries(30));
    expect(list(out.rvi.subarray(0, 12)).every(Number.isNaN)).toBe(true);
    expect(list(out.rvi.subarray(12)).every((v) => v === 0)).toBe(true);
    expect(list(out.signal.subarray(0, 15)).every(Number.isNaN)).toBe(true);
    expect(list(out.signal.subarray(15)).every((v) => v === 0)).toBe(true);
  });
});

describe('fishertransform', () => {
  it('should transform the midpoint position in the high/low range, clipped at ±0.999, by hand', () => {
    const series = seriesFrom({ high: [2, 4, 3, 5], low: [0, 2, 1, 5], close: [1, 3, 2, 5] });
    const out = fisherTransform(series, 2, 1);
    expect(Number.isNaN(out.fisher[0])).toBe(true);
    expect(out.fisher[1]).toBeCloseTo(0.5 * Math.log(3), 15);
    expect(out.fisher[2]).toBeCloseTo(0.5 * Math.log(0.5), 15);
    expect(out.fisher[3]).toBeCloseTo(0.5 * Math.log(1.999 / 0.001), 12);
    expect(list(out.signal)).toEqual([NaN, NaN, out.fisher[1], out.fisher[2]]);
  });

  it('should match a naive window scan and SMA-seeded EMA over the S&P 500 to 1e-9', () => {
    const { high, low } = spx;
    const raw = naive(high.length, 9, (i) => {
      let hh = -Infinity;
      let ll = Infinity;
      for (let j = i - 9; j <= i; j++) {
        hh = Math.max(hh, high[j]);
        ll = Math.min(ll, low[j]);
      }
      const x = Math.min(0.999, Math.max(-0.999, (2 * ((high[i] + low[i]) / 2 - ll)) / (hh - ll) - 1));
      return 0.5 * Math.log((1 + x) / (1 - x));
    });
    const fisher = new Float64Array(high.length).fill(NaN);
    fisher[11] = naiveMean(raw, 11, 3);
    for (let i = 12; i < high.length; i++) fisher[i] = 0.5 * raw[i] + 0.5 * fisher[i - 1];
    const out = compute('fishertransform');
    expect(maxRelativeGap(out.fisher, fisher)).toBeLessThan(1e-9);
    expect(
      maxRelativeGap(
        out.signal,
        naive(high.length, 12, (i) => fisher[i - 1]),
      ),
    ).toBeLessThan(1e-9);
  });

  it('should give 0 on a flat series (no range: the midpoint counts as centred)', () => {
    const out = compute('fishertransform', flatSeries(20));
    expect(list(out.fisher.subarray(0, 11)).every(Number.isNaN)).toBe(true);
    expect(list(out.fisher.subarray(11)).every((v) => v === 0)).toBe(true);
  });
});

describe('squeezeintensity', () => {
  it('should give 0.5 when the bands collapse inside a channel, by hand', () => {
    // Close fixed at 10 inside a 9..11 bar: BB = 10 ± 0, true range 2, KC = 10 ± 2·2, so both gaps are 4/8.
    const series = seriesFrom({ close: Array<number>(30).fill(10), high: Array<number>(30).fill(11), low: Array<number>(30).fill(9) });
    const out = squeezeIntensity(series, series.close, 20, 2, 20, 2);
    expect(list(out.subarray(0, 19)).every(Number.isNaN)).toBe(true);
    expect(list(out.subarray(19)).every((v) => v === 0.5)).toBe(true);
    // The ATR (10 bars, from bar 1) sets the warm-up when both periods are short.
    expect(list(squeezeIntensity(series, series.close, 3, 2, 3, 2).subarray(0, 10)).every(Number.isNaN)).toBe(true);
    expect(squeezeIntensity(series, series.close, 3, 2, 3, 2)[10]).toBe(0.5);
  });

  it('should give 0 on a flat series, where the channel has no width', () => {
    expect(list(compute('squeezeintensity', flatSeries(30)).value.subarray(19)).every((v) => v === 0)).toBe(true);
  });

  it('should match naive Bollinger and Keltner bands over the S&P 500 to 1e-9 and stay within [0, 0.5]', () => {
    const { high, low, close } = spx;
    const n = close.length;
    const tr = naive(n, 1, (i) => Math.max(high[i] - low[i], Math.abs(high[i] - close[i - 1]), Math.abs(low[i] - close[i - 1])));
    const atr = new Float64Array(n).fill(NaN);
    atr[10] = naiveMean(tr, 10, 10);
    for (let i = 11; i < n; i++) atr[i] = (atr[i - 1] * 9 + tr[i]) / 10;
    const middle = new Float64Array(n).fill(NaN);
    middle[19] = naiveMean(close, 19, 20);
    for (let i = 20; i < n; i++) middle[i] = middle[i - 1] + (2 / 21) * (close[i] - middle[i - 1]);
    const reference = naive(n, 19, (i) => {
      const mean = naiveMean(close, i, 20);
      let squares = 0;
      for (let k = i - 19; k <= i; k++) squares += (close[k] - mean) ** 2;
      const sd = Math.sqrt(squares / 20);
      const [bbUpper, bbLower] = [mean + 2 * sd, mean - 2 * sd];
      const [kcUpper, kcLower] = [middle[i] + 2 * atr[i], middle[i] - 2 * atr[i]];
      const width = kcUpper - kcLower;
      return Math.max(0, Math.min((kcUpper - bbUpper) / width, (bbLower - kcLower) / width));
    });
    const out = compute('SqueezeIntensity').value;
    expect(maxRelativeGap(out, reference)).toBeLessThan(1e-9);
    const settled = list(out.subarray(19));
    expect(settled.every((v) => v >= 0 && v <= 0.5)).toBe(true);
    expect(settled.some((v) => v === 0)).toBe(true);
    expect(settled.some((v) => v > 0.1)).toBe(true);
  });
});

describe('ichimoku', () => {
  const midpoint = (i: number, period: number) => {
    let hh = -Infinity;
    let ll = Infinity;
    for (let j = i - period + 1; j <= i; j++) {
      hh = Math.max(hh, spx.high[j]);
      ll = Math.min(ll, spx.low[j]);
    }
    return (hh + ll) / 2;
  };

  it('should compute the lines and shift the cloud forward, by hand', () => {
    const series = seriesFrom({ high: [4, 6, 5, 9, 7, 8], low: [1, 2, 3, 4, 2, 6], close: [2, 5, 4, 8, 3, 7] });
    const out = ichimoku(series, 2, 3, 4, 2);
    expect(list(out.tenkan)).toEqual([NaN, 3.5, 4, 6, 5.5, 5]);
    expect(list(out.kijun)).toEqual([NaN, NaN, 3.5, 5.5, 5.5, 5.5]);
    // Cloud at bar i = what bar i − 2 computed.
    expect(list(out.senkou_a)).toEqual([NaN, NaN, NaN, NaN, 3.75, 5.75]);
    expect(list(out.senkou_b)).toEqual([NaN, NaN, NaN, NaN, NaN, 5]);
  });

  it('should match naive window midpoints over the S&P 500 to 1e-9', () => {
    const n = spx.close.length;
    const out = compute('Ichimoku');
    expect(
      maxRelativeGap(
        out.tenkan,
        naive(n, 8, (i) => midpoint(i, 9)),
      ),
    ).toBeLessThan(1e-9);
    expect(
      maxRelativeGap(
        out.kijun,
        naive(n, 25, (i) => midpoint(i, 26)),
      ),
    ).toBeLessThan(1e-9);
    const senkouA = naive(n, 51, (i) => (midpoint(i - 26, 9) + midpoint(i - 26, 26)) / 2);
    expect(maxRelativeGap(out.senkou_a, senkouA)).toBeLessThan(1e-9);
    expect(
      maxRelativeGap(
        out.senkou_b,
        naive(n, 77, (i) => midpoint(i - 26, 52)),
      ),
    ).toBeLessThan(1e-9);
    const unshifted = compute('ichimoku', spx, { displacement: 0 });
    expect(
      maxRelativeGap(
        unshifted.senkou_b,
        naive(n, 51, (i) => midpoint(i, 52)),
      ),
    ).toBeLessThan(1e-9);
  });

  it('should not look ahead: every output on a prefix of the bars equals the full run', () => {
    const full = compute('ichimoku');
    const cut = 1000;
    const prefix = seriesFrom({
      high: Array.from(spx.high.subarray(0, cut)),
      low: Array.from(spx.low.subarray(0, cut)),
      close: Array.from(spx.close.subarray(0, cut)),
    });
    const partial = compute('ichimoku', prefix);
    for (const output of ['tenkan', 'kijun', 'senkou_a', 'senkou_b']) {
      expect(list(partial[output])).toEqual(list(full[output].subarray(0, cut)));
    }
  });

  it('should have no chikou output, so no strategy can make a feature of it', () => {
    expect(requireIndicator('ichimoku').outputs).not.toContain('chikou');
    expect(Object.keys(compute('ichimoku'))).not.toContain('chikou');
  });
});

describe('strategies using the catalogue indicators', () => {
  const TYPES: Record<string, string> = {
    bbw: 'BollingerBandWidth',
    dist: 'DistanceFromMA',
    vr: 'VolumeRatio',
    ad: 'ADLine',
    st: 'SuperTrend',
    rvi: 'RVI',
    fisher: 'FisherTransform',
    squeeze: 'SqueezeIntensity',
    cloud: 'Ichimoku',
  };
  const strategy = (reference: (id: string) => string, extra = '') => `name: catalogue
training_data: {symbols: [SPX], timeframes: [1d]}
indicators:
${Object.entries(TYPES)
  .map(([id, type]) => `  ${id}: {type: ${type}${extra && id === 'dist' ? `, ${extra}` : ''}}`)
  .join('\n')}
fuzzy_sets:
${Object.keys(TYPES)
  .map((id) => `  ${id}_set: {indicator: ${reference(id)}, low: [-1, 0, 1]}`)
  .join('\n')}
nn_inputs: [${Object.keys(TYPES)
    .map((id) => `{fuzzy_set: ${id}_set}`)
    .join(', ')}]
model: {hidden_layers: [8]}
`;

  it('should validate with the original type names, primary outputs and named outputs', () => {
    const parsed = parseStrategy(
      strategy((id) => id, 'ma_type: EMA, period: 10'),
      'catalogue.yaml',
    );
    expect(parsed.indicators.map((i) => i.type)).toEqual([
      'bollingerbandwidth',
      'distancefromma',
      'volumeratio',
      'adline',
      'supertrend',
      'rvi',
      'fishertransform',
      'squeezeintensity',
      'ichimoku',
    ]);
    const outputs: Record<string, string> = { ad: 'relative_strength', st: 'direction', rvi: 'signal', fisher: 'signal', cloud: 'senkou_b' };
    expect(() =>
      parseStrategy(
        strategy((id) => (outputs[id] ? `${id}.${outputs[id]}` : id)),
        'catalogue.yaml',
      ),
    ).not.toThrow();
  });

  it('should reject a fuzzy set on ichimoku.chikou', () => {
    expect(() =>
      parseStrategy(
        strategy((id) => (id === 'cloud' ? 'cloud.chikou' : id)),
        'catalogue.yaml',
      ),
    ).toThrow(/chikou/);
  });
});
