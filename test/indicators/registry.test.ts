import { describe, expect, it } from 'vitest';
import { KtrdrError } from '../../src/errors.js';
import { parseStrategy } from '../../src/config/strategy.js';
import { findIndicator, indicatorParamNames, listIndicators, parseIndicatorParams, requireIndicator } from '../../src/indicators/registry.js';
import { randomWalk, roundedWalk } from './series.js';

function thrown(fn: () => unknown): KtrdrError {
  try {
    fn();
  } catch (error) {
    if (error instanceof KtrdrError) return error;
    throw error;
  }
  throw new Error('expected a KtrdrError');
}

describe('indicator registry', () => {
  const series = randomWalk(300);

  it('should hold every required family under a unique lower-case name', () => {
    const types = listIndicators().map((d) => d.type);
    expect(types).toEqual(
      expect.arrayContaining([
        'sma',
        'ema',
        'wma',
        'rsi',
        'macd',
        'bbands',
        'atr',
        'adx',
        'stochastic',
        'roc',
        'momentum',
        'williamsr',
        'cci',
        'obv',
        'mfi',
        'donchian',
        'keltner',
        'aroon',
        'psar',
        'vwap',
        'cmf',
        'zigzag',
        'bollingerbandwidth',
        'distancefromma',
        'volumeratio',
        'adline',
        'supertrend',
        'rvi',
        'fishertransform',
        'squeezeintensity',
        'ichimoku',
      ]),
    );
    const names = listIndicators().flatMap((d) => [d.type, ...(d.aliases ?? [])]);
    expect(new Set(names).size).toBe(names.length);
    for (const name of names) expect(name).toBe(name.toLowerCase());
  });

  it('should find types and aliases case-insensitively', () => {
    expect(findIndicator('RSI')?.type).toBe('rsi');
    expect(findIndicator('BollingerBands')?.type).toBe('bbands');
    expect(findIndicator('stoch')?.type).toBe('stochastic');
    expect(findIndicator('nope')).toBeUndefined();
  });

  it.each(listIndicators().map((d) => [d.type, d] as const))(
    'should give %s full-length outputs named as declared, from default params',
    (_type, definition) => {
      expect(definition.outputs.length).toBeGreaterThan(0);
      if (definition.outputs.length === 1) expect(definition.outputs).toEqual(['value']);
      const params = parseIndicatorParams(definition, {});
      const outputs = definition.compute(series, params);
      expect(Object.keys(outputs).sort()).toEqual([...definition.outputs].sort());
      for (const values of Object.values(outputs)) {
        expect(values).toBeInstanceOf(Float64Array);
        expect(values.length).toBe(series.close.length);
        // Past the warm-up every bar has a value (the zigzag line may end before the last bar).
        if (definition.type !== 'zigzag') expect(Number.isNaN(values[values.length - 1])).toBe(false);
      }
    },
  );

  it.each(listIndicators().map((d) => [d.type, d] as const))(
    'should give %s the same bits for each output whether or not only that output is selected',
    (_type, definition) => {
      // A rounded walk has flat windows, which take their own branches in bbands and the stochastic.
      for (const walk of [series, roundedWalk(300)]) {
        const params = parseIndicatorParams(definition, {});
        const all = definition.compute(walk, params);
        for (const output of definition.outputs) {
          const selected = definition.compute(walk, params, new Set([output]));
          expect(Array.from(selected[output]), output).toEqual(Array.from(all[output]));
          for (const [name, values] of Object.entries(selected)) expect(Array.from(values), name).toEqual(Array.from(all[name]));
        }
      }
    },
  );

  it('should leave unselected outputs out where each costs an array of its own', () => {
    const outputs = (type: string, selected: string[]) => {
      const definition = requireIndicator(type);
      return Object.keys(definition.compute(series, parseIndicatorParams(definition, {}), new Set(selected))).sort();
    };
    expect(outputs('bbands', ['pct_b'])).toEqual(['pct_b']);
    expect(outputs('adx', ['adx'])).toEqual(['adx']);
    // Fast %K is computed whatever is selected (slow %K smooths it).
    expect(outputs('stochastic', ['slow_k'])).toEqual(['fast_k', 'slow_k']);
    expect(outputs('stochastic', ['slow_d'])).toEqual(['fast_k', 'slow_d', 'slow_k']);
  });

  it('should build the canonical ids', () => {
    const id = (type: string, raw: Record<string, unknown> = {}) => {
      const definition = requireIndicator(type);
      return definition.defaultId(parseIndicatorParams(definition, raw));
    };
    expect(id('rsi')).toBe('rsi_14');
    expect(id('rsi', { source: 'high' })).toBe('rsi_14_high');
    expect(id('macd')).toBe('macd_12_26_9');
    expect(id('bbands')).toBe('bbands_20_2');
    expect(id('bbands', { multiplier: 2.5 })).toBe('bbands_20_2p5');
    expect(id('stochastic')).toBe('stochastic_14_3_3');
    expect(id('atr')).toBe('atr_14');
    expect(id('adx')).toBe('adx_14');
    expect(id('obv')).toBe('obv');
    expect(id('roc', { mode: 'log' })).toBe('roc_10_log');
    expect(id('psar')).toBe('psar_0p02_0p02_0p2');
    expect(id('zigzag')).toBe('zigzag_0p05');
    expect(id('zigzag', { price: 'close', threshold: 0.03 })).toBe('zigzag_0p03_close');
    expect(id('cci')).toBe('cci_20');
    expect(id('vwap', { period: 0 })).toBe('vwap_0');
  });

  it('should reject an unknown parameter key with INDICATOR_PARAMS_INVALID naming the key', () => {
    const error = thrown(() => parseIndicatorParams(requireIndicator('rsi'), { period: 14, lenght: 3 }));
    expect(error.code).toBe('INDICATOR_PARAMS_INVALID');
    expect(error.message).toContain("'lenght'");
    expect(error.message).toContain('accepted: period, source');
  });

  it('should reject out-of-range and mistyped values with INDICATOR_PARAMS_INVALID naming the key', () => {
    const cases: [string, Record<string, unknown>, string][] = [
      ['rsi', { period: 0 }, 'period'],
      ['sma', { period: 2.5 }, 'period'],
      ['sma', { period: '20' }, 'period'],
      ['bbands', { multiplier: -1 }, 'multiplier'],
      ['macd', { fast: 26, slow: 12 }, 'fast'],
      ['sma', { source: 'hlc' }, 'source'],
      ['zigzag', { threshold: 5 }, 'threshold'],
      ['psar', { initial_af: 0.3 }, 'max_af'],
    ];
    for (const [type, raw, key] of cases) {
      const error = thrown(() => parseIndicatorParams(requireIndicator(type), raw));
      expect(error.code).toBe('INDICATOR_PARAMS_INVALID');
      expect(error.message).toContain(`'${key}'`);
    }
  });

  it('should throw INDICATOR_UNKNOWN listing the available types for an unknown type', () => {
    const error = thrown(() => requireIndicator('supertrendy'));
    expect(error.code).toBe('INDICATOR_UNKNOWN');
    expect(error.message).toContain("'supertrendy'");
    for (const definition of listIndicators()) expect(error.message).toContain(definition.type);
    expect((error.details as { available: string[] }).available).toEqual(listIndicators().map((d) => d.type));
  });

  it('should expose parameter names in declaration order', () => {
    expect(indicatorParamNames(requireIndicator('macd'))).toEqual(['fast', 'slow', 'signal', 'source']);
    expect(indicatorParamNames(requireIndicator('obv'))).toEqual([]);
  });
});

describe("the original's parameter names", () => {
  it('load as the parameters they name here (macd, stochastic)', () => {
    const macd = requireIndicator('macd');
    expect(parseIndicatorParams(macd, { fast_period: 5, slow_period: 35, signal_period: 5 })).toEqual(
      parseIndicatorParams(macd, { fast: 5, slow: 35, signal: 5 }),
    );
    const stochastic = requireIndicator('stochastic');
    expect(parseIndicatorParams(stochastic, { k_period: 10, d_period: 4, smooth_k: 2 })).toEqual({ period: 10, signal: 4, smooth: 2 });
  });

  it('refuse a parameter given under both names', () => {
    expect(() => parseIndicatorParams(requireIndicator('macd'), { fast: 5, fast_period: 6 })).toThrow(/unknown parameter 'fast_period'/);
  });

  it('load in a strategy file', () => {
    const strategy = parseStrategy(`name: original_names
training_data: {symbols: [SPX], timeframes: [1d]}
indicators:
  macd: {type: MACD, fast_period: 8, slow_period: 21, signal_period: 5}
  stoch: {type: stochastic, k_period: 10, d_period: 4, smooth_k: 2}
fuzzy_sets:
  momentum: {indicator: macd.histogram, up: [0, 1, 2]}
  zone: {indicator: stoch.slow_k, low: [0, 20, 40]}
nn_inputs: [{fuzzy_set: momentum}, {fuzzy_set: zone}]
model: {hidden_layers: [4]}
`);
    expect(strategy.indicators.map((i) => i.params)).toEqual([
      { fast: 8, slow: 21, signal: 5, source: 'close' },
      { period: 10, signal: 4, smooth: 2 },
    ]);
  });
});
