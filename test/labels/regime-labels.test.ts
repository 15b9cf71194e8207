import { describe, expect, it } from 'vitest';
import { REGIME_CLASSES, regimeLabels, type RegimeLabelOptions } from '../../src/labels/regime-labels.js';
import { SeededRandom } from '../../src/util/random.js';
import { seriesFrom } from '../indicators/series.js';
import { errorOf, list } from './label-helpers.js';

const UP = 0;
const DOWN = 1;
const RANGING = 2;
const VOLATILE = 3;

/** Closes moving by 1 per bar through the waypoints (H = L = C, so true range is 1 on every bar but the first). */
function path(points: readonly number[]): number[] {
  const out = [points[0]];
  for (let k = 1; k < points.length; k++) {
    let p = out[out.length - 1];
    while (Math.abs(points[k] - p) > 1e-9) {
      p += Math.sign(points[k] - p) * Math.min(1, Math.abs(points[k] - p));
      out.push(p);
    }
  }
  return out;
}

/** No crisis can fire, so only the trend rule speaks. */
const calm: RegimeLabelOptions = {
  macroAtrMult: 12,
  microAtrMult: 2,
  atrPeriod: 2,
  volLookback: 3,
  volCrisisThreshold: 1e9,
  progressionTolerance: 0.5,
};

describe('regimeLabels', () => {
  // Median ATR 1, median close ≈ 106: macro swings ≈ 11.3 %, micro ≈ 1.9 %. Macro pivots: bar 0 (100), bar 52 (114),
  // and the provisional last bar (100). The rising segment's micro lows are 100, 103, 102.5: one higher low out of two
  // pairs (progression 0.5). The falling segment has one micro high, so nothing contradicts the fall.
  const close = path([100, 111, 103, 113, 102.5, 114, 100]);

  it('labels a rising segment TRENDING_UP when enough micro lows are higher lows, else RANGING', () => {
    expect(close).toHaveLength(67);
    expect(close.indexOf(114)).toBe(52);
    const trending = regimeLabels(seriesFrom({ close }), calm);
    expect(trending.classes).toEqual(REGIME_CLASSES);
    const expected = (first: number) => [
      ...Array<number>(3).fill(NaN),
      ...Array<number>(49).fill(first),
      ...Array<number>(12).fill(DOWN),
      NaN,
      NaN,
      NaN,
    ];
    expect(list(trending.values)).toEqual(expected(UP));
    const ranging = regimeLabels(seriesFrom({ close }), { ...calm, progressionTolerance: 0.6 });
    expect(list(ranging.values)).toEqual(expected(RANGING));
    // 3 bars lack a backward window, 3 a forward one.
    expect(trending.unlabelled).toEqual({ beyondData: 3, filtered: 3 });
  });

  it('records that a label reads up to the confirmation of its segment end and its forward window', () => {
    const { lastBarRead } = regimeLabels(seriesFrom({ close }), calm);
    // Both segments end on pivots confirmed only by the end of the data (there is no pivot after the next one).
    expect(lastBarRead![3]).toBe(66);
    expect(lastBarRead![60]).toBe(66);
    expect(lastBarRead![0]).toBe(-1);
  });

  it('labels VOLATILE exactly where forward RV / backward RV exceeds the crisis threshold', () => {
    const random = new SeededRandom(9);
    const closes = [100];
    for (let i = 1; i < 240; i++) closes.push(closes[i - 1] * Math.exp((i < 120 ? 0.003 : 0.03) * random.nextGaussian()));
    const options = { ...calm, macroAtrMult: 3, microAtrMult: 1, volLookback: 10, volCrisisThreshold: 2 };
    const labels = regimeLabels(seriesFrom({ close: closes }), options);
    const r = closes.map((c, i) => (i === 0 ? NaN : Math.log(c / closes[i - 1])));
    const std = (xs: number[]) => {
      const m = xs.reduce((s, x) => s + x, 0) / xs.length;
      return Math.sqrt(xs.reduce((s, x) => s + (x - m) ** 2, 0) / (xs.length - 1));
    };
    let volatile = 0;
    labels.values.forEach((value, t) => {
      if (Number.isNaN(value)) return;
      const crisis = std(r.slice(t + 1, t + 11)) / std(r.slice(t - 9, t + 1)) > 2;
      expect(value === VOLATILE).toBe(crisis);
      if (crisis) volatile++;
    });
    expect(volatile).toBeGreaterThan(0);
    // The calm stretch just before the volatility jumps sees it coming.
    expect(labels.values[112]).toBe(VOLATILE);
  });

  it('refuses parameters out of range with LABEL_PARAMS_INVALID, and too little data', () => {
    const series = seriesFrom({ close });
    expect(errorOf(() => regimeLabels(series, { ...calm, progressionTolerance: 0 })).code).toBe('LABEL_PARAMS_INVALID');
    expect(errorOf(() => regimeLabels(series, { ...calm, volLookback: 1 })).code).toBe('LABEL_PARAMS_INVALID');
    // A threshold of 200 × 1/106 is above 1: no ZigZag can use it.
    expect(errorOf(() => regimeLabels(series, { ...calm, macroAtrMult: 200 })).message).toContain('macro_atr_mult');
    expect(errorOf(() => regimeLabels(series, { ...calm, volLookback: 40 })).code).toBe('DATA_INSUFFICIENT');
  });
});
