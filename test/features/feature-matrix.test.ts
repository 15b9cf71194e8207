import { describe, expect, it } from 'vitest';
import { parseStrategy } from '../../src/config/strategy.js';
import type { OhlcvSeries } from '../../src/data/ohlcv.js';
import { resample } from '../../src/data/resample.js';
import { generateSyntheticSeries } from '../../src/data/synth.js';
import { computeFeatures, computeIndicatorsByTimeframe, computeMembershipsByTimeframe, requiredTimeframes } from '../../src/features/index.js';
import { rsi } from '../../src/indicators/momentum.js';
import { fuzzify, triangular } from '../../src/fuzzy/membership.js';

const MULTI = `
name: mtf
training_data: {symbols: [SYN], timeframes: [1h, 4h]}
indicators:
  rsi_14: {type: rsi, period: 14}
  sma_5: {type: sma, period: 5}
fuzzy_sets:
  rsi_zone:
    indicator: rsi_14
    low: [0, 30, 50]
    high: [50, 70, 100]
  trend:
    indicator: sma_5
    any: [-1, 0, 1000000, 1000001]
nn_inputs:
  - fuzzy_set: rsi_zone
    timeframes: all
  - fuzzy_set: trend
    timeframes: [4h]
model: {type: mlp, hidden_layers: [4]}
decisions: {output_format: classification}
`;

function frames(): Map<string, OhlcvSeries> {
  const hourly = generateSyntheticSeries({ symbol: 'SYN', timeframe: '1h', bars: 600, seed: 3 });
  return new Map([
    ['1h', hourly],
    ['4h', resample(hourly, '4h')],
  ]);
}

describe('computeFeatures', () => {
  it('should order columns by nn_inputs, then timeframe, then membership', () => {
    const strategy = parseStrategy(MULTI);
    const matrix = computeFeatures(strategy, frames());
    expect(matrix.names).toEqual(['1h_rsi_zone_low', '1h_rsi_zone_high', '4h_rsi_zone_low', '4h_rsi_zone_high', '4h_trend_any']);
    expect(requiredTimeframes(strategy)).toEqual(['1h', '4h']);
  });

  it('should drop warm-up rows instead of zero-filling them, and count them', () => {
    const strategy = parseStrategy(MULTI);
    const series = frames();
    const matrix = computeFeatures(strategy, series);
    const hourly = series.get('1h')!;
    // The 4h RSI needs 14 closed 4h bars; the first 1h bar that sees its value closes with the 15th 4h bar.
    expect(matrix.droppedRows).toBeGreaterThanOrEqual(14 * 4);
    expect(matrix.rows + matrix.droppedRows).toBe(hourly.timestamps.length);
    expect(matrix.values.every((v) => Number.isFinite(v))).toBe(true);
    expect(matrix.timestamps[0]).toBe(hourly.timestamps[matrix.barIndex[0]]);
  });

  it('should give the rows of a range, warmed up on the history before it, the values the whole history gives them', () => {
    const strategy = parseStrategy(MULTI);
    const series = frames();
    const whole = computeFeatures(strategy, series);
    const startMs = series.get('1h')!.timestamps[300];
    const ranged = computeFeatures(strategy, series, { startMs });
    const first = whole.timestamps.indexOf(startMs);
    expect(ranged.timestamps[0]).toBe(startMs);
    expect(ranged.rows).toBe(whole.rows - first);
    expect(ranged.droppedRows).toBe(0);
    expect(Array.from(ranged.values)).toEqual(Array.from(whole.values.subarray(first * whole.names.length)));
    expect(Array.from(ranged.barIndex)).toEqual(Array.from(whole.barIndex.subarray(first)));
  });

  it('should fill each base row from its own bar and from higher bars that had closed by then', () => {
    const strategy = parseStrategy(MULTI);
    const series = frames();
    const matrix = computeFeatures(strategy, series);
    const hourly = series.get('1h')!;
    const fourHour = series.get('4h')!;
    const hourlyRsi = rsi(hourly.close, 14);
    const fourHourRsi = rsi(fourHour.close, 14);
    const width = matrix.names.length;
    for (let r = 0; r < matrix.rows; r += 37) {
      const bar = matrix.barIndex[r];
      expect(matrix.values[r * width]).toBe(Math.fround(triangular(hourlyRsi[bar], 0, 30, 50)));
      const baseClose = hourly.timestamps[bar] + 3_600_000;
      let j = -1;
      while (j + 1 < fourHour.timestamps.length && fourHour.timestamps[j + 1] + 4 * 3_600_000 <= baseClose) j++;
      expect(matrix.values[r * width + 2]).toBe(Math.fround(triangular(fourHourRsi[j], 0, 30, 50)));
    }
  });
});

describe('computeMembershipsByTimeframe', () => {
  it('should keep membership degrees as the float32 the matrix holds, NaN warm-up included', () => {
    const strategy = parseStrategy(MULTI);
    const series = frames();
    const memberships = computeMembershipsByTimeframe(strategy, computeIndicatorsByTimeframe(strategy, series));
    const low = memberships.get('1h')!.get('rsi_zone_low')!;
    expect(low).toBeInstanceOf(Float32Array);
    const exact = fuzzify({ type: 'triangular', a: 0, b: 30, c: 50 }, rsi(series.get('1h')!.close, 14));
    expect(exact).toBeInstanceOf(Float64Array);
    expect(Number.isNaN(low[0])).toBe(true);
    expect(Array.from(low)).toEqual(Array.from(exact, (v) => Math.fround(v)));
  });
});
