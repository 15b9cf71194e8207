import { describe, expect, it } from 'vitest';
import { parseStrategy } from '../../src/config/strategy.js';
import { applyOverrides } from '../../src/training/overrides.js';
import { SPX_RSI_STRATEGY } from './fixtures.js';

describe('applyOverrides', () => {
  it('should return the text unchanged without overrides, so the strategy hash stays the same', () => {
    expect(applyOverrides(SPX_RSI_STRATEGY, {})).toBe(SPX_RSI_STRATEGY);
    expect(applyOverrides(SPX_RSI_STRATEGY, { symbols: undefined })).toBe(SPX_RSI_STRATEGY);
  });

  it('should write every override into the strategy text', () => {
    const text = applyOverrides(SPX_RSI_STRATEGY, { symbols: ['EURUSD'], startDate: '2019-01-01', endDate: '2019-06-30', epochs: 9, seed: 3 });
    const strategy = parseStrategy(text);
    expect(strategy.trainingData.symbols).toEqual(['EURUSD']);
    expect([strategy.trainingData.startDate, strategy.trainingData.endDate]).toEqual(['2019-01-01', '2019-06-30']);
    expect([strategy.training.epochs, strategy.training.seed]).toEqual([9, 3]);
  });

  it('should move explicit input timeframes along when a one-timeframe strategy is retargeted', () => {
    const explicit = SPX_RSI_STRATEGY.replace('timeframes: all', 'timeframes: [1d]');
    const strategy = parseStrategy(applyOverrides(explicit, { timeframes: ['1h'] }));
    expect(strategy.trainingData.timeframes).toEqual(['1h']);
    expect(strategy.nnInputs[0].timeframes).toEqual(['1h']);
  });

  it('should leave inconsistent multi-timeframe overrides for the validator to report', () => {
    const multi = SPX_RSI_STRATEGY.replace('timeframes: [1d]', 'timeframes: [1h, 1d]').replace('timeframes: all', 'timeframes: [1h, 1d]');
    expect(() => parseStrategy(applyOverrides(multi, { timeframes: ['4h'] }))).toThrow(/nn_inputs\[0\]\.timeframes/);
  });
});
