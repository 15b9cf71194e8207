import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { featureIds, parseStrategy, type StrategyProblem } from '../../src/config/strategy.js';
import { BackendChoiceSchema } from '../../src/config/strategy.schema.js';
import { KtrdrError } from '../../src/errors.js';
import { BACKEND_CHOICES } from '../../src/nn/backend-registry.js';
import { projectRoot } from '../../src/util/package-info.js';

/** A valid strategy touching every section; tests derive broken variants from it with small text edits. */
const VALID = `name: rsi_mean_reversion
version: "1.0"
description: RSI zones on the S&P 500 daily series
training_data:
  symbols: [SPX]
  timeframes: [1d, 1h]
  start_date: "2000-01-01"
  end_date: "2020-04-17"
  history_required: 200
indicators:
  rsi_14: {type: RSI, period: 14}
  macd_12_26_9: {type: macd, fast: 12, slow: 26, signal: 9}
  bb: {type: bollingerbands}
fuzzy_sets:
  rsi_zone:
    indicator: rsi_14
    oversold: [0, 20, 35]
    neutral: [30, 40, 60, 70]
    overbought: {type: triangular, parameters: [65, 80, 100]}
  macd_momentum:
    indicator: macd_12_26_9.histogram
    bearish: {type: gaussian, mean: -5, sigma: 4}
    bullish: {type: trapezoidal, parameters: [0, 5, 10, 20]}
  macd_line:
    indicator: macd_12_26_9
    up: [0, 1, 2]
  band:
    indicator: bb.pct_b
    low: [-1, 0, 0.5]
nn_inputs:
  - fuzzy_set: rsi_zone
    timeframes: all
  - fuzzy_set: macd_momentum
    timeframes: [1h]
  - fuzzy_set: macd_line
  - fuzzy_set: band
    timeframes: [1d]
model:
  type: mlp
  hidden_layers: [32, 16]
  activation: tanh
  dropout: 0.25
decisions:
  output_format: classification
  confidence_threshold: 0.6
training:
  epochs: 50
  batch_size: 16
  learning_rate: 0.002
  weight_decay: 0.001
  early_stopping: {enabled: false, patience: 5, min_delta: 0.01}
  checkpoint: {every_epochs: 5, every_seconds: 60}
  gradient_clip: 0.5
  class_weights: [1, 0.5, 1]
  seed: 7
  data_split: {train: 0.6, validation: 0.2, test: 0.2}
  labels: {source: zigzag, zigzag_threshold: 0.03, price: high_low}
`;

const MINIMAL = `name: minimal
training_data: {symbols: [EURUSD], timeframes: [4h, 1h, 1d]}
indicators: {rsi: {type: rsi}}
fuzzy_sets: {zone: {indicator: rsi, low: [0, 30, 50]}}
nn_inputs: [{fuzzy_set: zone}]
model: {hidden_layers: [8]}
`;

function invalid(yaml: string): KtrdrError {
  try {
    parseStrategy(yaml, 'test.yaml');
  } catch (error) {
    expect(error).toBeInstanceOf(KtrdrError);
    expect((error as KtrdrError).code).toBe('STRATEGY_INVALID');
    return error as KtrdrError;
  }
  throw new Error('expected the strategy to be rejected');
}

function problems(yaml: string): StrategyProblem[] {
  return (invalid(yaml).details as { errors: StrategyProblem[] }).errors;
}

/** `path: message` lines, the way `ktrdr strategies validate` prints them. */
function lines(yaml: string): string[] {
  return problems(yaml).map((p) => (p.path ? `${p.path}: ${p.message}` : p.message));
}

function edit(from: string, to: string, base = VALID): string {
  expect(base).toContain(from);
  return base.replace(from, to);
}

describe(parseStrategy.name, () => {
  it('should normalise a valid file: canonical types, parsed params, resolved outputs and timeframes', () => {
    const strategy = parseStrategy(VALID, 'strategies/x.yaml');
    expect(strategy.name).toBe('rsi_mean_reversion');
    expect(strategy.trainingData).toEqual({
      symbols: ['SPX'],
      timeframes: ['1d', '1h'],
      baseTimeframe: '1h',
      startDate: '2000-01-01',
      endDate: '2020-04-17',
      historyRequired: 200,
    });
    expect(strategy.indicators).toEqual([
      { id: 'rsi_14', type: 'rsi', params: { period: 14, source: 'close' }, outputs: ['value'] },
      { id: 'macd_12_26_9', type: 'macd', params: { fast: 12, slow: 26, signal: 9, source: 'close' }, outputs: ['line', 'signal', 'histogram'] },
      {
        id: 'bb',
        type: 'bbands',
        params: { period: 20, multiplier: 2, source: 'close' },
        outputs: ['upper', 'middle', 'lower', 'bandwidth', 'pct_b'],
      },
    ]);
    expect(strategy.fuzzySets[0]).toEqual({
      id: 'rsi_zone',
      indicator: 'rsi_14',
      indicatorId: 'rsi_14',
      output: 'value',
      memberships: [
        { name: 'oversold', membership: { type: 'triangular', a: 0, b: 20, c: 35 } },
        { name: 'neutral', membership: { type: 'trapezoidal', a: 30, b: 40, c: 60, d: 70 } },
        { name: 'overbought', membership: { type: 'triangular', a: 65, b: 80, c: 100 } },
      ],
    });
    expect(strategy.fuzzySets[1]).toMatchObject({ indicatorId: 'macd_12_26_9', output: 'histogram' });
    expect(strategy.fuzzySets[1].memberships[0].membership).toEqual({ type: 'gaussian', mean: -5, sigma: 4 });
    expect(strategy.fuzzySets[2]).toMatchObject({ indicator: 'macd_12_26_9', indicatorId: 'macd_12_26_9', output: 'line' }); // primary
    expect(strategy.fuzzySets[3]).toMatchObject({ indicatorId: 'bb', output: 'pct_b' });
    expect(strategy.nnInputs).toEqual([
      { fuzzySet: 'rsi_zone', timeframes: ['1d', '1h'] },
      { fuzzySet: 'macd_momentum', timeframes: ['1h'] },
      { fuzzySet: 'macd_line', timeframes: ['1d', '1h'] },
      { fuzzySet: 'band', timeframes: ['1d'] },
    ]);
    expect(strategy.model).toEqual({ type: 'mlp', hiddenLayers: [32, 16], activation: 'tanh', dropout: 0.25 });
    expect(strategy.decisions).toEqual({ outputFormat: 'classification', confidenceThreshold: 0.6 });
    expect(strategy.training).toEqual({
      epochs: 50,
      batchSize: 16,
      learningRate: 0.002,
      optimizer: 'adam',
      weightDecay: 0.001,
      loss: { kind: 'cross_entropy' },
      earlyStopping: { enabled: false, patience: 5, minDelta: 0.01 },
      checkpoint: { everyEpochs: 5, everySeconds: 60 },
      gradientClip: 0.5,
      classWeights: [1, 0.5, 1],
      importanceRepeats: 5,
      seed: 7,
      backend: 'auto',
      dataSplit: { train: 0.6, validation: 0.2, test: 0.2, embargoBars: 0 },
      labels: { source: 'zigzag', zigzagThreshold: 0.03, price: 'high_low' },
    });
    expect(strategy.source).toEqual({ text: VALID, file: 'strategies/x.yaml', sha256: createHash('sha256').update(VALID).digest('hex') });
    expect(strategy.warnings).toEqual([]);
  });

  it('should list feature ids per input, per timeframe, per membership in file order', () => {
    expect(featureIds(parseStrategy(VALID))).toEqual([
      '1d_rsi_zone_oversold',
      '1d_rsi_zone_neutral',
      '1d_rsi_zone_overbought',
      '1h_rsi_zone_oversold',
      '1h_rsi_zone_neutral',
      '1h_rsi_zone_overbought',
      '1h_macd_momentum_bearish',
      '1h_macd_momentum_bullish',
      '1d_macd_line_up',
      '1h_macd_line_up',
      '1d_band_low',
    ]);
  });

  it('should fill documented defaults for everything optional', () => {
    const strategy = parseStrategy(MINIMAL);
    expect(strategy.version).toBe('1.0');
    expect(strategy.description).toBe('');
    expect(strategy.trainingData).toEqual({ symbols: ['EURUSD'], timeframes: ['4h', '1h', '1d'], baseTimeframe: '1h' });
    expect(strategy.nnInputs).toEqual([{ fuzzySet: 'zone', timeframes: ['4h', '1h', '1d'] }]);
    expect(strategy.model).toEqual({ type: 'mlp', hiddenLayers: [8], activation: 'relu', dropout: 0.2 });
    expect(strategy.decisions).toEqual({ outputFormat: 'classification' });
    expect(strategy.training).toEqual({
      epochs: 100,
      batchSize: 32,
      learningRate: 0.001,
      optimizer: 'adam',
      weightDecay: 1e-4,
      loss: { kind: 'cross_entropy' },
      earlyStopping: { enabled: true, patience: 10, minDelta: 1e-4 },
      checkpoint: { everyEpochs: 10, everySeconds: 300 },
      gradientClip: 1,
      classWeights: 'none',
      importanceRepeats: 5,
      seed: 42,
      backend: 'auto',
      dataSplit: { train: 0.7, validation: 0.15, test: 0.15, embargoBars: 0 },
      labels: { source: 'zigzag', zigzagThreshold: 0.02, price: 'close' },
    });
    expect(
      parseStrategy(edit('training_data: {', 'training: {early_stopping: {patience: 3}}\ntraining_data: {', MINIMAL)).training.earlyStopping,
    ).toEqual({
      enabled: true,
      patience: 3,
      minDelta: 1e-4,
    });
  });

  describe('YAML problems', () => {
    it('should report syntax errors with line and column', () => {
      const error = invalid(edit('  symbols: [SPX]', '  symbols: [SPX'));
      const [problem] = (error.details as { errors: StrategyProblem[] }).errors;
      expect(problem.message).toMatch(/^YAML syntax error at line \d+, column \d+: /);
      expect(problem.line).toBeGreaterThanOrEqual(5);
      expect(error.message).toContain('test.yaml');
    });

    it('should report duplicate keys with their line', () => {
      const [problem] = problems(edit('  history_required: 200', '  history_required: 200\n  symbols: [ES]'));
      expect(problem.message).toMatch(/YAML syntax error at line 10, column 3: Map keys must be unique/);
      expect(problem.line).toBe(10);
    });

    it('should require a mapping at the top', () => {
      expect(lines('- a\n- b\n')[0]).toMatch(/^expected a mapping of sections \(name, version, .*\), got a list$/);
      expect(lines('')[0]).toMatch(/got an empty value/);
    });
  });

  describe('unknown keys', () => {
    it('should name the key and what is allowed, at every level', () => {
      expect(lines(edit('  epochs: 50', '  epoch: 50'))).toEqual([
        'training.epoch: unknown key (allowed: epochs, batch_size, learning_rate, optimizer, momentum, weight_decay, loss, focal_gamma, huber_delta, lr_scheduler, early_stopping, checkpoint, gradient_clip, class_weights, importance_repeats, seed, backend, threads, data_split, labels)',
      ]);
      expect(lines(edit('name: rsi_mean_reversion', 'name: rsi_mean_reversion\nscope: equities'))).toEqual([
        'scope: unknown key (allowed: name, version, description, conventions, training_data, indicators, fuzzy_sets, nn_inputs, model, decisions, training)',
      ]);
      expect(lines(edit('patience: 5', 'patience: 5, restore: true'))).toEqual([
        'training.early_stopping.restore: unknown key (allowed: enabled, patience, min_delta)',
      ]);
      expect(lines(edit('  - fuzzy_set: band', '  - fuzzy_set: band\n    scale: zscore'))).toEqual([
        'nn_inputs[3].scale: unknown key (allowed: fuzzy_set, raw_indicator, normalization, timeframes)',
      ]);
      expect(lines(edit('  hidden_layers: [32, 16]', '  hidden_layers: [32, 16]\n  architecture: {}'))[0]).toMatch(
        /^model.architecture: unknown key \(allowed: type, hidden_layers/,
      );
      expect(lines(edit('mean: -5, sigma: 4', 'mean: -5, sigma: 4, width: 1'))).toEqual([
        'fuzzy_sets.macd_momentum.bearish.width: unknown key (allowed: type, mean, sigma)',
      ]);
    });

    it('should reject unknown indicator parameters instead of dropping them', () => {
      expect(lines(edit('{type: RSI, period: 14}', '{type: RSI, lenght: 14}'))).toEqual([
        'indicators.rsi_14.lenght: unknown key (allowed: period, source)',
      ]);
    });
  });

  describe('indicators', () => {
    it('should name unknown types and list the available ones', () => {
      const [line] = lines(edit('{type: RSI, period: 14}', '{type: rsii, period: 14}'));
      expect(line).toMatch(/^indicators\.rsi_14\.type: unknown indicator type 'rsii' \(available: .*\brsi\b.*\bmacd\b.*\)$/);
    });

    it('should report parameter errors from the indicator schema under the parameter path', () => {
      expect(lines(edit('period: 14}', 'period: 0}'))).toEqual(['indicators.rsi_14.period: must be >= 1, got 0']);
      expect(lines(edit('period: 14}', 'period: 14.5}'))).toEqual(['indicators.rsi_14.period: expected an integer, got 14.5']);
      expect(lines(edit('period: 14}', 'period: "14"}'))).toEqual(["indicators.rsi_14.period: expected a finite number, got '14'"]);
      expect(lines(edit('fast: 12, slow: 26', 'fast: 30, slow: 26'))).toEqual(['indicators.macd_12_26_9.fast: fast must be shorter than slow']);
    });

    it('should reject indicators that look at future bars', () => {
      expect(lines(edit('  bb: {type: bollingerbands}', '  bb: {type: bollingerbands}\n  zz: {type: zigzag}'))).toEqual([
        "indicators.zz.type: 'zigzag' uses future bars (it is what the labels are made from), so it cannot be a feature",
      ]);
    });

    it('should reject ids that cannot form feature ids or shadow price columns', () => {
      expect(lines(edit('  bb: {type: bollingerbands}', '  bb: {type: bollingerbands}\n  "rsi.7": {type: rsi}\n  close: {type: sma}'))).toEqual([
        "indicators.rsi.7: invalid indicator id 'rsi.7': must start with a letter and contain only letters, digits, _ and - (at most 64 characters)",
        "indicators.close: 'close' is reserved for a price column; choose another id (e.g. close_sma_20)",
      ]);
    });

    it('should require at least one indicator', () => {
      expect(lines(MINIMAL.replace('indicators: {rsi: {type: rsi}}', 'indicators: {}'))).toContain('indicators: needs at least one indicator');
    });
  });

  describe('fuzzy set references', () => {
    it('should name unknown indicators and the defined ones', () => {
      expect(lines(edit('    indicator: rsi_14', '    indicator: rsi_15'))).toEqual([
        "fuzzy_sets.rsi_zone.indicator: unknown indicator 'rsi_15' (defined: rsi_14, macd_12_26_9, bb)",
      ]);
    });

    it('should name unknown outputs of multi-output indicators', () => {
      expect(lines(edit('macd_12_26_9.histogram', 'macd_12_26_9.hist'))).toEqual([
        "fuzzy_sets.macd_momentum.indicator: 'macd_12_26_9.hist' is not an output of macd (outputs: line, signal, histogram)",
      ]);
    });

    it('should refuse dot notation on single-output indicators', () => {
      expect(lines(edit('    indicator: rsi_14', '    indicator: rsi_14.value'))).toEqual([
        "fuzzy_sets.rsi_zone.indicator: rsi_14 has one output; remove '.value'",
      ]);
    });

    it('should not report a reference to an indicator whose own definition is broken twice', () => {
      expect(lines(edit('{type: RSI, period: 14}', '{type: RSI, period: -1}'))).toEqual(['indicators.rsi_14.period: must be >= 1, got -1']);
    });
  });

  describe('memberships', () => {
    it('should report ordering and sigma problems via membershipProblem', () => {
      expect(lines(edit('oversold: [0, 20, 35]', 'oversold: [0, 40, 35]'))).toEqual([
        'fuzzy_sets.rsi_zone.oversold: triangular parameters must satisfy a <= b <= c, got [0, 40, 35]',
      ]);
      expect(lines(edit('neutral: [30, 40, 60, 70]', 'neutral: [30, 40, 80, 70]'))).toEqual([
        'fuzzy_sets.rsi_zone.neutral: trapezoidal parameters must satisfy a <= b <= c <= d, got [30, 40, 80, 70]',
      ]);
      expect(lines(edit('sigma: 4', 'sigma: 0'))).toEqual(['fuzzy_sets.macd_momentum.bearish: gaussian sigma must be > 0, got 0']);
    });

    it('should explain malformed memberships', () => {
      expect(lines(edit('oversold: [0, 20, 35]', 'oversold: [0, 20]'))).toEqual([
        'fuzzy_sets.rsi_zone.oversold: a list takes 3 numbers (triangular [a, b, c]) or 4 (trapezoidal [a, b, c, d]); got 2',
      ]);
      expect(lines(edit('oversold: [0, 20, 35]', 'oversold: [0, x, 35]'))).toEqual([
        "fuzzy_sets.rsi_zone.oversold[1]: expected a finite number, got 'x'",
      ]);
      expect(lines(edit('oversold: [0, 20, 35]', 'oversold: 20'))[0]).toMatch(
        /^fuzzy_sets\.rsi_zone\.oversold: expected a membership: \[a, b, c\] \(triangular\).*; got 20$/,
      );
      expect(lines(edit('{type: triangular, parameters: [65, 80, 100]}', '{type: sigmoid, parameters: [65, 80]}'))).toEqual([
        'fuzzy_sets.rsi_zone.overbought.type: type must be triangular, trapezoidal or gaussian',
      ]);
      expect(lines(edit('{type: triangular, parameters: [65, 80, 100]}', '{parameters: [65, 80, 100]}'))).toEqual([
        'fuzzy_sets.rsi_zone.overbought.type: type must be triangular, trapezoidal or gaussian',
      ]);
      expect(lines(edit('{type: triangular, parameters: [65, 80, 100]}', '{type: triangular, parameters: [65, 80, 90, 100]}'))).toEqual([
        'fuzzy_sets.rsi_zone.overbought.parameters: allows at most 3 items',
      ]);
      expect(lines(edit('{type: gaussian, mean: -5, sigma: 4}', '{type: gaussian, mean: -5}'))).toEqual([
        'fuzzy_sets.macd_momentum.bearish.sigma: required (a finite number)',
      ]);
    });

    it('should require at least one membership and an indicator', () => {
      expect(lines(edit('    indicator: bb.pct_b\n    low: [-1, 0, 0.5]', '    indicator: bb.pct_b'))).toEqual([
        'fuzzy_sets.band: has no memberships; add at least one, e.g. low: [0, 20, 40]',
      ]);
      expect(lines(edit('    indicator: bb.pct_b\n', ''))).toEqual(['fuzzy_sets.band.indicator: required (a string)']);
    });
  });

  describe('nn_inputs', () => {
    it('should name unknown fuzzy sets and the defined ones', () => {
      expect(lines(edit('  - fuzzy_set: band', '  - fuzzy_set: bands'))).toEqual([
        "nn_inputs[3].fuzzy_set: unknown fuzzy set 'bands' (defined: rsi_zone, macd_momentum, macd_line, band)",
      ]);
    });

    it('should refuse timeframes that are not in training_data', () => {
      expect(lines(edit('    timeframes: [1h]', '    timeframes: [1h, 15m]'))).toEqual([
        "nn_inputs[1].timeframes[1]: timeframe '15m' is not in training_data.timeframes (1d, 1h)",
      ]);
      expect(lines(edit('    timeframes: [1h]', '    timeframes: 1h'))).toEqual([
        "nn_inputs[1].timeframes: must be 'all' or a list of timeframes from training_data.timeframes (1d, 1h); got '1h'",
      ]);
    });

    it('should refuse two inputs that produce the same feature', () => {
      expect(lines(edit('    timeframes: [1d]\nmodel', '    timeframes: [1d]\n  - fuzzy_set: band\n    timeframes: [1h, 1d]\nmodel'))).toEqual([
        "nn_inputs[4]: feature '1d_band_low' is also produced by nn_inputs[3]; each feature may appear once",
      ]);
    });

    it('should read raw indicator inputs and order features as the original does (entries, then timeframes)', () => {
      const yaml = edit(
        '  - fuzzy_set: macd_line\n',
        '  - raw_indicator: macd_12_26_9.signal\n    timeframes: all\n    normalization: zscore\n  - fuzzy_set: macd_line\n  - raw_indicator: rsi_14\n    timeframes: [1h]\n',
      );
      const strategy = parseStrategy(yaml);
      expect(strategy.nnInputs[2]).toEqual({
        rawIndicator: 'macd_12_26_9.signal',
        indicatorId: 'macd_12_26_9',
        output: 'signal',
        normalization: 'zscore',
        timeframes: ['1d', '1h'],
      });
      expect(strategy.nnInputs[4]).toMatchObject({ rawIndicator: 'rsi_14', output: 'value', normalization: 'none' });
      // The fuzzy features of VALID, with each raw entry's features where the entry stands (its timeframes in order).
      const fuzzy = featureIds(parseStrategy(VALID));
      expect(featureIds(strategy)).toEqual([
        ...fuzzy.slice(0, 8),
        '1d_macd_12_26_9.signal_raw',
        '1h_macd_12_26_9.signal_raw',
        ...fuzzy.slice(8, 10),
        '1h_rsi_14_raw',
        fuzzy[10],
      ]);
    });

    it('should require exactly one of fuzzy_set and raw_indicator, and normalization only on raw inputs', () => {
      const input = (text: string) => lines(edit('  - fuzzy_set: macd_line\n', text));
      expect(input('  - {fuzzy_set: macd_line, raw_indicator: rsi_14}\n')).toEqual([
        'nn_inputs[2]: specify either fuzzy_set or raw_indicator, not both',
      ]);
      expect(input('  - {timeframes: all}\n')).toEqual(['nn_inputs[2]: must specify either fuzzy_set or raw_indicator']);
      expect(input('  - {fuzzy_set: macd_line, normalization: zscore}\n')).toEqual([
        'nn_inputs[2].normalization: only valid with raw_indicator (fuzzy memberships are already in [0, 1])',
      ]);
      expect(input('  - {raw_indicator: rsi_15}\n')).toEqual([
        "nn_inputs[2].raw_indicator: unknown indicator 'rsi_15' (defined: rsi_14, macd_12_26_9, bb)",
      ]);
      expect(input('  - {raw_indicator: macd_12_26_9.slope}\n')[0]).toMatch(
        /^nn_inputs\[2\]\.raw_indicator: 'macd_12_26_9\.slope' is not an output of macd/,
      );
      expect(input('  - {raw_indicator: rsi_14, normalization: robust}\n')[0]).toMatch(
        /^nn_inputs\[2\]\.normalization: must be one of minmax, zscore, none/,
      );
    });

    it('should count an indicator read only by a raw input as used', () => {
      const strategy = parseStrategy(
        edit(
          '  bb: {type: bollingerbands}',
          '  bb: {type: bollingerbands}\n  sma_50: {type: sma, period: 50}',
          edit('  - fuzzy_set: macd_line\n', '  - raw_indicator: sma_50\n'),
        ),
      );
      expect(strategy.warnings.map((w) => w.path)).toEqual(['fuzzy_sets.macd_line']);
    });

    it('should require at least one input', () => {
      expect(lines(MINIMAL.replace('nn_inputs: [{fuzzy_set: zone}]', 'nn_inputs: []'))).toEqual(['nn_inputs: needs at least 1 item']);
    });
  });

  describe('optimizer, loss and learning-rate schedule', () => {
    const training = (extra: string) => parseStrategy(edit('  seed: 7\n', `  seed: 7\n${extra}`)).training;

    it('defaults to Adam, cross-entropy and a constant rate', () => {
      const parsed = parseStrategy(MINIMAL).training;
      expect(parsed.optimizer).toBe('adam');
      expect(parsed.loss).toEqual({ kind: 'cross_entropy' });
      expect(parsed.lrScheduler).toBeUndefined();
      expect(parsed.momentum).toBeUndefined();
    });

    it('reads optimizer, momentum, focal loss and each scheduler with its defaults', () => {
      expect(training('  optimizer: sgd\n  momentum: 0.5\n')).toMatchObject({ optimizer: 'sgd', momentum: 0.5 });
      expect(training('  loss: focal\n').loss).toEqual({ kind: 'focal', gamma: 2 });
      expect(training('  loss: focal\n  focal_gamma: 1.5\n').loss).toEqual({ kind: 'focal', gamma: 1.5 });
      expect(training('  lr_scheduler: step\n').lrScheduler).toEqual({ type: 'step', stepSize: 30, gamma: 0.1 });
      expect(training('  lr_scheduler: {type: exponential}\n').lrScheduler).toEqual({ type: 'exponential', gamma: 0.95 });
      expect(training('  lr_scheduler: reduce_on_plateau\n').lrScheduler).toEqual({ type: 'reduce_on_plateau', factor: 0.5, patience: 5, minLr: 0 });
      // Cosine runs over the whole training unless told otherwise (epochs: 50 in VALID).
      expect(training('  lr_scheduler: cosine\n').lrScheduler).toEqual({ type: 'cosine', tMax: 50, etaMin: 0 });
      expect(training('  lr_scheduler: {type: cosine, t_max: 10, eta_min: 0.0001}\n').lrScheduler).toEqual({
        type: 'cosine',
        tMax: 10,
        etaMin: 1e-4,
      });
    });

    it('rejects unknown choices with the allowed ones', () => {
      const add = (extra: string) => lines(edit('  seed: 7\n', `  seed: 7\n${extra}`));
      expect(add('  optimizer: lbfgs\n')).toEqual(["training.optimizer: must be one of adam, adamw, sgd, rmsprop; got 'lbfgs'"]);
      expect(add('  loss: hinge\n')).toEqual(["training.loss: must be one of cross_entropy, focal, mse, huber; got 'hinge'"]);
      expect(add('  lr_scheduler: cyclic\n')).toEqual([
        'training.lr_scheduler.type: must be one of step, exponential, reduce_on_plateau, cosine, or a mapping with one of them as type',
      ]);
      expect(add('  lr_scheduler: {type: step, patience: 3}\n')).toEqual([
        'training.lr_scheduler.patience: unknown key (allowed: type, step_size, gamma)',
      ]);
      expect(add('  focal_gamma: -1\n')).toEqual(['training.focal_gamma: must be >= 0, got -1']);
    });
  });

  describe('other sections', () => {
    it('should check training_data names and consistency', () => {
      expect(lines(edit('  timeframes: [1d, 1h]', '  timeframes: [1d, 1h, 1d]\n  base_timeframe: 4h'))).toEqual([
        "training_data.timeframes[2]: duplicate timeframe '1d'",
        "training_data.base_timeframe: '4h' is not in training_data.timeframes (1d, 1h, 1d)",
      ]);
      expect(lines(edit('  timeframes: [1d, 1h]', '  timeframes: [1d, 1M]'))).toEqual([
        'training_data.timeframes[1]: must be <count><unit> with unit m, h, d or w (e.g. 1h, 4h, 1d)',
      ]);
      expect(lines(edit('symbols: [SPX]', 'symbols: [../SPX]'))[0]).toMatch(/^training_data\.symbols\[0\]: must be 1-20 characters/);
      expect(lines(edit('end_date: "2020-04-17"', 'end_date: "1999-12-31"'))).toEqual([
        "training_data.end_date: '1999-12-31' is before start_date '2000-01-01'",
      ]);
      expect(lines(edit('end_date: "2020-04-17"', 'end_date: "17/04/2020"'))[0]).toMatch(/^training_data\.end_date: must be an ISO date/);
      expect(lines(edit('  symbols: [SPX]\n', ''))).toEqual(['training_data.symbols: required (a list)']);
    });

    it('should still check nn_inputs timeframes when another part of training_data is broken', () => {
      expect(lines(edit('symbols: [SPX]', 'symbols: []').replace('timeframes: [1h]', 'timeframes: [2h]'))).toEqual([
        'training_data.symbols: needs at least 1 item',
        "nn_inputs[1].timeframes[0]: timeframe '2h' is not in training_data.timeframes (1d, 1h)",
      ]);
    });

    it('should check model, decisions and training values', () => {
      expect(lines(edit('activation: tanh', 'activation: gelu'))).toEqual([
        "model.activation: must be one of relu, tanh, sigmoid, leaky_relu; got 'gelu'",
      ]);
      expect(lines(edit('dropout: 0.25', 'dropout: 1'))).toEqual(['model.dropout: must be < 1, got 1']);
      expect(lines(edit('hidden_layers: [32, 16]', 'hidden_layers: []'))).toEqual(['model.hidden_layers: needs at least 1 item']);
      expect(lines(edit('  type: mlp\n  hidden_layers: [32, 16]', '  type: lstm'))).toEqual([
        'model.hidden_layers: required (a list)',
        "model.type: must be mlp, got 'lstm'",
      ]);
      expect(lines(edit('output_format: classification', 'output_format: ranking'))).toEqual([
        "decisions.output_format: must be one of classification, regression; got 'ranking'",
      ]);
      // A regression model needs a real-valued target, a regression loss, no class weights and a cost model.
      expect(lines(edit('output_format: classification', 'output_format: regression'))).toEqual([
        'decisions.cost_model: regression needs cost_model {round_trip_cost, min_edge_multiplier}: a predicted return trades only when it clears round_trip_cost × min_edge_multiplier',
        'training.class_weights: class weights apply to classifiers only; a regression target has no classes',
        'training.labels.source: zigzag labels are classes, and decisions.output_format is regression; regression needs a real-valued target (forward_return)',
      ]);
      expect(lines(edit('class_weights: [1, 0.5, 1]', 'class_weights: balanced'))).toEqual([
        'training.class_weights: must be auto, none, or a list of positive weights, one per class in class order (e.g. [buy, hold, sell])',
      ]);
      expect(lines(edit('zigzag_threshold: 0.03', 'zigzag_threshold: 3'))).toEqual(['training.labels.zigzag_threshold: must be < 1, got 3']);
      expect(lines(edit('version: "1.0"', 'version: 1.0'))).toEqual(['version: must be a string; quote it, e.g. version: "1.0"']);
      expect(lines(edit('name: rsi_mean_reversion', 'name: ../evil'))[0]).toMatch(/^name: must start with a letter or digit/);
    });

    it('should require the data split to sum to 1', () => {
      expect(lines(edit('test: 0.2}', 'test: 0.1}'))).toEqual([
        'training.data_split: train + validation + test must sum to 1, got 0.6 + 0.2 + 0.1 = 0.9',
      ]);
      expect(
        parseStrategy(edit('{train: 0.6, validation: 0.2, test: 0.2}', '{train: 0.7, validation: 0.2, test: 0.1}')).training.dataSplit.test,
      ).toBe(0.1);
    });

    it('should read each label source with its defaults, and refuse unknown sources and keys', () => {
      const labels = (text: string) =>
        parseStrategy(
          edit('class_weights: [1, 0.5, 1]', 'class_weights: auto', edit('labels: {source: zigzag, zigzag_threshold: 0.03, price: high_low}', text)),
        ).training.labels;
      expect(labels('labels: {zigzag_threshold: 0.05}')).toEqual({ source: 'zigzag', zigzagThreshold: 0.05, price: 'close' });
      expect(labels('labels: {source: triple_barrier}')).toEqual({
        source: 'triple_barrier',
        ptMultiplier: 2,
        slMultiplier: 1.5,
        maxHoldingPeriod: 50,
        volSpan: 50,
        volMethod: 'atr',
        computeWeights: false,
      });
      expect(labels('labels: {source: triple_barrier, cusum_threshold: 0, compute_weights: true}')).toMatchObject({
        cusum: { threshold: 0, multiplier: 0.5 },
        computeWeights: true,
      });
      expect(labels('labels: {source: context}')).toEqual({ source: 'context', horizon: 5, bullishThreshold: 0.005, bearishThreshold: -0.005 });
      expect(labels('labels: {source: regime, vol_lookback: 60}')).toEqual({
        source: 'regime',
        macroAtrMult: 3,
        microAtrMult: 1,
        atrPeriod: 14,
        volLookback: 60,
        volCrisisThreshold: 2,
        progressionTolerance: 0.5,
      });
      const problem = (text: string) => lines(edit('labels: {source: zigzag, zigzag_threshold: 0.03, price: high_low}', text));
      expect(problem('labels: {source: momentum}')).toEqual([
        'training.labels.source: source must be one of zigzag, forward_return, triple_barrier, context, regime',
      ]);
      expect(problem('labels: {source: context, zigzag_threshold: 0.03}')[0]).toMatch(/^training\.labels\.zigzag_threshold: unknown key/);
      expect(problem('labels: {source: context, bullish_threshold: -0.01}')).toEqual([
        'training.labels.bearish_threshold: must be below bullish_threshold (-0.01)',
      ]);
      expect(problem('labels: {source: forward_return, horizon: 10}')[0]).toMatch(
        /^training\.labels\.source: forward_return labels are a regression target/,
      );
      // Regime labels have four classes, so three class weights cannot be right.
      expect(problem('labels: {source: regime}')).toEqual([
        'training.class_weights: regime labels have 4 classes, so class_weights needs 4 weights (got 3)',
      ]);
    });

    it('should read a regression model: forward_return target, huber by default, the cost model', () => {
      const regression = (loss: string) =>
        edit('labels: {source: zigzag, zigzag_threshold: 0.03, price: high_low}', `labels: {source: forward_return, horizon: 10}${loss}`)
          .replace('output_format: classification', 'output_format: regression\n  cost_model: {round_trip_cost: 0.0002, min_edge_multiplier: 2}')
          .replace('class_weights: [1, 0.5, 1]', 'class_weights: none');
      const strategy = parseStrategy(regression(''));
      expect(strategy.decisions).toMatchObject({ outputFormat: 'regression', costModel: { roundTripCost: 0.0002, minEdgeMultiplier: 2 } });
      expect(strategy.training.loss).toEqual({ kind: 'huber', delta: 0.01 });
      expect(strategy.training.labels).toEqual({ source: 'forward_return', horizon: 10 });
      expect(parseStrategy(regression('\n  loss: mse')).training.loss).toEqual({ kind: 'mse' });
      expect(parseStrategy(regression('\n  loss: huber\n  huber_delta: 0.002')).training.loss).toEqual({ kind: 'huber', delta: 0.002 });
      expect(lines(regression('\n  loss: focal'))).toEqual([
        'training.loss: focal is a classification loss; regression takes huber (default) or mse',
      ]);
      expect(lines(regression('\n  huber_delta: 0'))).toEqual(['training.huber_delta: must be > 0, got 0']);
      // and the other way round: a classifier keeps its losses
      expect(lines(edit('class_weights: [1, 0.5, 1]', 'class_weights: [1, 0.5, 1]\n  loss: mse'))).toEqual([
        'training.loss: mse is a regression loss; a classifier takes cross_entropy or focal (or set decisions.output_format: regression)',
      ]);
      expect(parseStrategy(edit('class_weights: [1, 0.5, 1]', 'class_weights: [1, 0.5, 1]')).training.loss).toEqual({ kind: 'cross_entropy' });
      expect(
        lines(edit('output_format: classification', 'output_format: classification\n  cost_model: {round_trip_cost: 0.001, min_edge_multiplier: 1}')),
      ).toEqual(['decisions.cost_model: cost_model sets the signal threshold of a regression model; a classifier does not read it']);
    });

    it('should read the embargo of the data split', () => {
      expect(parseStrategy(edit('test: 0.2}', 'test: 0.2, embargo_bars: 5}')).training.dataSplit.embargoBars).toBe(5);
      expect(lines(edit('test: 0.2}', 'test: 0.2, embargo_bars: -1}'))).toEqual(['training.data_split.embargo_bars: must be >= 0, got -1']);
    });

    it('should require the mandatory sections', () => {
      expect(lines('name: x\n')).toEqual([
        'training_data: required (a mapping)',
        'indicators: required (a mapping of indicator id to its definition)',
        'fuzzy_sets: required (a mapping of fuzzy set id to its definition)',
        'nn_inputs: required (a list of {fuzzy_set, timeframes} or {raw_indicator, timeframes, normalization})',
        'model: required (a mapping)',
      ]);
    });
  });

  it('should collect every problem at once, in file order, with lines', () => {
    const yaml = edit('  epochs: 50', '  epoch: 50', edit('    indicator: rsi_14', '    indicator: rsi_15', edit('sigma: 4', 'sigma: -1')));
    const found = problems(yaml);
    expect(found.map((p) => p.path)).toEqual(['fuzzy_sets.rsi_zone.indicator', 'fuzzy_sets.macd_momentum.bearish', 'training.epoch']);
    expect(found.map((p) => p.line)).toEqual([16, 22, 47]);
    const error = invalid(yaml);
    expect(error.message).toContain('strategy test.yaml is invalid (3 problems):');
    expect(error.message).toContain("  - fuzzy_sets.rsi_zone.indicator: unknown indicator 'rsi_15' (defined: rsi_14, macd_12_26_9, bb) (line 16)");
    expect(error.details).toMatchObject({ file: 'test.yaml' });
  });

  it('should warn about indicators and fuzzy sets that feed no feature', () => {
    const strategy = parseStrategy(
      edit(
        '  - fuzzy_set: band\n    timeframes: [1d]\n',
        '',
        edit('  bb: {type: bollingerbands}', '  bb: {type: bollingerbands}\n  sma_50: {type: sma, period: 50}'),
      ),
    );
    expect(strategy.warnings.map((w) => `${w.path}: ${w.message}`)).toEqual([
      'indicators.sma_50: not used by any fuzzy set or raw_indicator input',
      'fuzzy_sets.band: not used by any nn_inputs entry, so it adds no features',
    ]);
  });
});

describe('the hint of an invalid strategy', () => {
  it('should point at documentation that exists', () => {
    let hint: string | undefined;
    try {
      parseStrategy(VALID.replace('epochs:', 'epochz:'));
    } catch (error) {
      hint = (error as KtrdrError).hint;
    }
    expect(hint).toBeDefined();
    const files = [...hint!.matchAll(/[\w./-]+\.(?:md|ts)\b/g)].map((m) => m[0]);
    expect(files).toEqual(['README.md', 'src/config/strategy.schema.ts']);
    for (const file of files) expect(existsSync(join(projectRoot(), file)), file).toBe(true);
    const section = /section "([^"]+)"/.exec(hint!)?.[1];
    expect(readFileSync(join(projectRoot(), 'README.md'), 'utf8')).toContain(`\n## ${section}\n`);
  });
});

describe('training.backend', () => {
  it('should offer exactly the choices the engine knows', () => {
    expect(BackendChoiceSchema.options).toEqual([...BACKEND_CHOICES]);
  });
});

describe('training.threads', () => {
  it('should be unset by default, read as a positive integer, and refuse anything else', () => {
    expect(parseStrategy(VALID).training.threads).toBeUndefined();
    expect(parseStrategy(edit('  seed: 7', '  seed: 7\n  threads: 2')).training.threads).toBe(2);
    for (const bad of ['0', '1.5', 'two']) expect(lines(edit('  seed: 7', `  seed: 7\n  threads: ${bad}`))[0]).toMatch(/^training\.threads: /);
  });
});
