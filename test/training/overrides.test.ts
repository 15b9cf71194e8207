import { describe, expect, it } from 'vitest';
import { parseStrategy } from '../../src/config/strategy.js';
import { KtrdrError } from '../../src/errors.js';
import { REQUEST_FIELD_NAMES, TRAIN_OPTION_NAMES, applyOverrides, checkOverrides, type StrategyOverrides } from '../../src/training/overrides.js';
import { SPX_RSI_STRATEGY } from '../helpers/training-fixtures.js';

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

describe('checkOverrides', () => {
  /** The VALIDATION_FAILED error's options and message, or undefined when the overrides pass. */
  function refusal(overrides: StrategyOverrides, names = TRAIN_OPTION_NAMES, yaml?: string): { options: string[]; message: string } | undefined {
    try {
      checkOverrides(overrides, names, yaml);
      return undefined;
    } catch (error) {
      expect(error).toBeInstanceOf(KtrdrError);
      expect((error as KtrdrError).code).toBe('VALIDATION_FAILED');
      const problems = ((error as KtrdrError).details as { problems: { option: string }[] }).problems;
      return { options: problems.map((p) => p.option), message: (error as KtrdrError).message };
    }
  }

  it('should name each bad override as the caller typed it, never as a line of the strategy file', () => {
    expect(refusal({ startDate: '2020-13-45' })).toEqual({
      options: ['--start'],
      message: expect.stringMatching(/^--start must be an ISO date .* got '2020-13-45'$/),
    });
    expect(refusal({ startDate: '2020-13-45' }, REQUEST_FIELD_NAMES)?.message).toMatch(/^start_date must be/);
    expect(refusal({ endDate: '2021-02-30' })?.options).toEqual(['--end']);
    expect(refusal({ endDate: 'yesterday' })?.options).toEqual(['--end']);
    expect(refusal({ startDate: '2020-02-01', endDate: '2020-01-01' })?.message).toBe("--end '2020-01-01' is before --start '2020-02-01'");
    expect(refusal({ symbols: ['SPX', '../etc'] })?.message).toMatch(/^--symbols has '\.\.\/etc'/);
    expect(refusal({ timeframes: ['1h', '1x', '1h'] })?.options).toEqual(['--timeframes', '--timeframes']);
    expect(refusal({ symbols: [] })?.options).toEqual(['--symbols']);
    expect(refusal({ epochs: 0 })?.options).toEqual(['--epochs']);
    expect(refusal({ epochs: 1.5 })?.options).toEqual(['--epochs']);
    expect(refusal({ seed: -1 })?.options).toEqual(['--seed']);
    expect(refusal({ startDate: 'x', symbols: ['a/b'], epochs: 0 })?.options).toEqual(['--symbols', '--start', '--epochs']);
  });

  it('should accept what strategy files accept', () => {
    expect(
      refusal({
        startDate: '2020-02-29',
        endDate: '2020-03-01T12:30:00+02:00',
        symbols: ['EURUSD', 'BRK.B'],
        timeframes: ['1h', '4h', '1d'],
        epochs: 1,
        seed: 0,
      }),
    ).toBeUndefined();
    // A date-only end is the whole day, so the same day is a valid range.
    expect(refusal({ startDate: '2020-01-01T12:00:00Z', endDate: '2020-01-01' })).toBeUndefined();
  });

  it('should check one overridden end of the range against the other end in the file', () => {
    // SPX_RSI_STRATEGY trains 2010-01-01 .. 2019-12-31.
    expect(refusal({ startDate: '2020-06-01' }, TRAIN_OPTION_NAMES, SPX_RSI_STRATEGY)?.message).toBe(
      "--start '2020-06-01' is after the strategy's end_date '2019-12-31' (give --end too)",
    );
    expect(refusal({ endDate: '2005-01-01' }, REQUEST_FIELD_NAMES, SPX_RSI_STRATEGY)?.message).toBe(
      "end_date '2005-01-01' is before the strategy's start_date '2010-01-01' (give start_date too)",
    );
    expect(refusal({ startDate: '2019-12-31' }, TRAIN_OPTION_NAMES, SPX_RSI_STRATEGY)).toBeUndefined();
  });

  it('should be applied by applyOverrides before anything is written', () => {
    expect(() => applyOverrides(SPX_RSI_STRATEGY, { startDate: '2020-13-45' })).toThrow(/^start_date must be/);
    expect(() => applyOverrides(SPX_RSI_STRATEGY, { startDate: '2020-13-45' }, TRAIN_OPTION_NAMES)).toThrow(/^--start must be/);
  });
});
