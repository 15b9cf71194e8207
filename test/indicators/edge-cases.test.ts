import { describe, expect, it } from 'vitest';
import { adx } from '../../src/indicators/adx.js';
import { aroon } from '../../src/indicators/aroon.js';
import { bollinger } from '../../src/indicators/bollinger.js';
import { cci } from '../../src/indicators/cci.js';
import { rsi } from '../../src/indicators/momentum.js';
import { listIndicators, parseIndicatorParams } from '../../src/indicators/registry.js';
import { stochastic, williamsR } from '../../src/indicators/stochastic.js';
import { cmf, mfi, obv, vwap } from '../../src/indicators/volume.js';
import { flatSeries, randomWalk, seriesFrom } from './series.js';

const tail = (values: Float64Array, from: number) => Array.from(values.subarray(from));

describe('flat windows (highest high == lowest low, no change at all)', () => {
  const flat = flatSeries(40);

  it('should put the stochastic at the neutral 50 (TTR: NaN, TA-Lib: 0)', () => {
    const { fast_k, slow_k, slow_d } = stochastic(flat, 14, 3, 3);
    expect(tail(fast_k, 13).every((v) => v === 50)).toBe(true);
    expect(tail(slow_k, 15).every((v) => v === 50)).toBe(true);
    expect(tail(slow_d, 17).every((v) => v === 50)).toBe(true);
  });

  it('should put Williams %R at −50, the same midpoint TTR gives', () => {
    expect(tail(williamsR(flat, 14), 13).every((v) => v === -50)).toBe(true);
  });

  it('should give RSI 50 with neither gains nor losses', () => {
    expect(tail(rsi(flat.close, 14), 14).every((v) => v === 50)).toBe(true);
  });

  it('should collapse Bollinger Bands onto the price with %B 0.5 and bandwidth 0', () => {
    const bands = bollinger(flat.close, 20, 2);
    expect(tail(bands.upper, 19).every((v) => v === 10)).toBe(true);
    expect(tail(bands.lower, 19).every((v) => v === 10)).toBe(true);
    expect(tail(bands.pct_b, 19).every((v) => v === 0.5)).toBe(true);
    expect(tail(bands.bandwidth, 19).every((v) => v === 0)).toBe(true);
  });

  it('should detect a flat window exactly even after volatile bars have left it', () => {
    const close = [...Array.from(randomWalk(30).close), ...Array<number>(25).fill(0.1)];
    const bands = bollinger(Float64Array.from(close), 20, 2);
    expect(bands.pct_b[54]).toBe(0.5);
    expect(bands.upper[54]).toBe(0.1);
    expect(cci(Float64Array.from(close), 20)[54]).toBe(0);
  });

  it('should give CCI 0 where the textbook formula divides 0 by 0', () => {
    expect(tail(cci(flat.close, 20), 19).every((v) => v === 0)).toBe(true);
  });

  it('should give DI and DX 0 with no range and no directional movement (TTR: 0/0)', () => {
    const out = adx(flat, 14);
    expect(tail(out.plus_di, 14).every((v) => v === 0)).toBe(true);
    expect(tail(out.minus_di, 14).every((v) => v === 0)).toBe(true);
    expect(tail(out.dx, 14).every((v) => v === 0)).toBe(true);
    expect(tail(out.adx, 27).every((v) => v === 0)).toBe(true);
  });

  it('should give Aroon 100/100: on ties the most recent bar is the extreme', () => {
    const out = aroon(flat, 14);
    expect(tail(out.up, 14).every((v) => v === 100)).toBe(true);
    expect(tail(out.down, 14).every((v) => v === 100)).toBe(true);
    expect(tail(out.oscillator, 14).every((v) => v === 0)).toBe(true);
  });

  it('should give MFI 50 when the typical price never changes', () => {
    expect(tail(mfi(flat, 14), 14).every((v) => v === 50)).toBe(true);
  });
});

describe('zero volume', () => {
  const walk = randomWalk(60);
  const silent = seriesFrom({
    open: Array.from(walk.open),
    high: Array.from(walk.high),
    low: Array.from(walk.low),
    close: Array.from(walk.close),
    volume: Array<number>(60).fill(0),
  });

  it('should give MFI 50: no money flowed either way', () => {
    expect(tail(mfi(silent, 14), 14).every((v) => v === 50)).toBe(true);
  });

  it('should give CMF 0: no money flowed either way', () => {
    expect(tail(cmf(silent, 20), 19).every((v) => v === 0)).toBe(true);
  });

  it('should give VWAP NaN: a volume-weighted price is undefined without volume', () => {
    expect(vwap(silent.close, silent.volume, 20).every((v) => Number.isNaN(v))).toBe(true);
    expect(vwap(silent.close, silent.volume, 0).every((v) => Number.isNaN(v))).toBe(true);
  });

  it('should keep OBV at 0', () => {
    expect(Array.from(obv(silent)).every((v) => v === 0)).toBe(true);
  });

  it('should recover exactly once volume has left the window', () => {
    const volume = [...Array<number>(20).fill(5000), ...Array<number>(40).fill(0)];
    const mixed = seriesFrom({ high: Array.from(walk.high), low: Array.from(walk.low), close: Array.from(walk.close), volume });
    expect(mfi(mixed, 14)[59]).toBe(50);
    expect(cmf(mixed, 20)[59]).toBe(0);
    expect(Number.isNaN(vwap(mixed.close, mixed.volume, 20)[59])).toBe(true);
  });
});

describe('too-short input', () => {
  // Outputs whose first value needs at most this many bars, so a short series still produces some values.
  const EARLY: Record<string, readonly string[]> = {
    obv: ['value'],
    atr: ['tr'],
    psar: ['value'],
    zigzag: ['value'],
    adline: ['line', 'mf_multiplier', 'mf_volume'],
  };

  it.each(listIndicators().map((d) => [d.type, d] as const))('should give %s all-NaN outputs without throwing', (type, definition) => {
    const params = parseIndicatorParams(definition, {});
    for (const length of [0, 1, 2, 5]) {
      const series = randomWalk(length);
      const outputs = definition.compute(series, params);
      for (const output of definition.outputs) {
        expect(outputs[output].length).toBe(length);
        if (!(EARLY[type] ?? []).includes(output)) expect(Array.from(outputs[output]).every(Number.isNaN)).toBe(true);
      }
    }
  });

  it('should give the zigzag no line below two bars, where there is no swing', () => {
    const definition = listIndicators().find((d) => d.type === 'zigzag')!;
    const outputs = definition.compute(randomWalk(1), parseIndicatorParams(definition, {}));
    expect(Number.isNaN(outputs.value[0])).toBe(true);
  });
});
