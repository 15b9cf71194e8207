import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { availableBackends, resolveBackend } from '../../src/nn/backend-registry.js';
import type { ClassificationReport } from '../../src/nn/metrics.js';
import type { RegressionReport } from '../../src/nn/regression-metrics.js';
import { projectRoot } from '../../src/util/package-info.js';
import { runThreads, runTraining } from '../../src/training/pipeline.js';
import { TRAINING_STEPS } from '../../src/training/steps.js';
import { sha256Hex } from '../../src/training/artifact.js';
import { applyOverrides } from '../../src/training/overrides.js';
import { SPX_RSI_STRATEGY, recordingContext } from '../helpers/training-fixtures.js';

const request = { strategyYaml: SPX_RSI_STRATEGY };

describe('runTraining', () => {
  it('should train end to end and return a complete artifact without touching disk', async () => {
    const run = recordingContext({ operationId: 'op-1' });
    const { artifact } = await runTraining(request, run.ctx);
    expect(artifact.strategy_name).toBe('spx_rsi_test');
    expect(artifact.features.names).toEqual(['1d_rsi_zone_oversold', '1d_rsi_zone_neutral', '1d_rsi_zone_overbought']);
    expect(artifact.manifest.weights_sha256).toBe(sha256Hex(artifact.weights));
    expect(artifact.manifest.strategy_sha256).toBe(sha256Hex(SPX_RSI_STRATEGY));
    // Bars before start_date are read too (indicator warm-up) but never become training rows.
    expect(artifact.manifest.data).toMatchObject([{ symbol: 'SPX', timeframe: '1d', first: '2000-01-03T00:00:00Z', last: '2019-12-31T00:00:00Z' }]);
    expect(artifact.manifest.operation_id).toBe('op-1');
    expect(artifact.metrics.history).toHaveLength(4);
    expect(artifact.metrics.test).toMatchObject({ accuracy: expect.any(Number), baseline_accuracy: expect.any(Number) });
    const { train, validation, test } = artifact.metrics.split;
    expect(train + validation + test).toBe(2516);
    expect(run.epochs.map((e) => e.epoch)).toEqual([1, 2, 3, 4]);
    // Permutation importance on the validation split: every feature once, most important first.
    const importance = artifact.metrics.feature_importance!;
    expect(importance.map((entry) => entry.feature).sort()).toEqual([...artifact.features.names].sort());
    const increases = importance.map((entry) => entry.loss_increase);
    expect(increases).toEqual([...increases].sort((a, b) => b - a));
  });

  it('should skip the feature importance when importance_repeats is 0', async () => {
    const yaml = SPX_RSI_STRATEGY.replace('  seed: 7', '  seed: 7\n  importance_repeats: 0');
    const { artifact } = await runTraining({ strategyYaml: yaml }, recordingContext().ctx);
    expect(artifact.metrics.feature_importance).toBeUndefined();
  });

  it('should log the numbered steps in order with the same text every run', async () => {
    const first = recordingContext();
    const second = recordingContext();
    await runTraining(request, first.ctx);
    await runTraining(request, second.ctx);
    const stepLines = (logs: { msg: string }[]) => logs.map((l) => l.msg).filter((m) => /^Step \d+\/\d+: /.test(m));
    expect(stepLines(first.logs)).toEqual(TRAINING_STEPS.map((s, i) => `Step ${i + 1}/${TRAINING_STEPS.length}: ${s.title}`));
    const infoLines = (logs: { msg: string; level: string }[]) => logs.filter((l) => l.level === 'info').map((l) => l.msg);
    expect(infoLines(second.logs)).toEqual(infoLines(first.logs));
  });

  it('should report monotonic progress ending at 100', async () => {
    const run = recordingContext();
    await runTraining(request, run.ctx);
    const percents = run.progress.map((p) => p.percent);
    expect(percents.at(-1)).toBe(100);
    for (let i = 1; i < percents.length; i++) expect(percents[i]).toBeGreaterThanOrEqual(percents[i - 1]);
    expect(run.progress.some((p) => p.step === 'train' && p.epoch === 4)).toBe(true);
  });

  it('should give bit-identical weights for the same seed and different weights for another', async () => {
    const a = await runTraining(request, recordingContext().ctx);
    const b = await runTraining(request, recordingContext().ctx);
    const c = await runTraining({ strategyYaml: applyOverrides(SPX_RSI_STRATEGY, { seed: 8 }) }, recordingContext().ctx);
    expect(a.artifact.manifest.weights_sha256).toBe(b.artifact.manifest.weights_sha256);
    expect(c.artifact.manifest.weights_sha256).not.toBe(a.artifact.manifest.weights_sha256);
    expect(c.artifact.manifest.seed).toBe(8);
  });

  it('should record the backend in the manifest and give the same weights per backend for the same seed', async () => {
    const withBackend = (backend: string) => ({ strategyYaml: SPX_RSI_STRATEGY.replace('  seed: 7\n', `  seed: 7\n  backend: ${backend}\n`) });
    const reference = await runTraining(withBackend('js-cpu'), recordingContext().ctx);
    expect(reference.artifact.manifest.training_backend).toBe('js-cpu');
    expect((await runTraining(request, recordingContext().ctx)).artifact.manifest.training_backend).toBe(resolveBackend('auto'));
    for (const backend of availableBackends().filter((id) => id !== 'js-cpu')) {
      const [a, b] = [
        await runTraining(withBackend(backend), recordingContext().ctx),
        await runTraining(withBackend(backend), recordingContext().ctx),
      ];
      expect(a.artifact.manifest.training_backend).toBe(backend);
      expect(b.artifact.manifest.weights_sha256).toBe(a.artifact.manifest.weights_sha256);
    }
  });

  it('should train with the threads the executor grants, and give the same weights for any of them', async () => {
    const strategy = (threads: string) => ({
      strategyYaml: SPX_RSI_STRATEGY.replace('  seed: 7\n', `  seed: 7\n  backend: auto\n  batch_size: 256\n${threads}`).replace(
        '  batch_size: 32\n',
        '',
      ),
    });
    const one = await runTraining(strategy(''), recordingContext().ctx);
    const two = await runTraining(strategy(''), { ...recordingContext().ctx, threads: 2 });
    const asksOne = await runTraining(strategy('  threads: 1\n'), { ...recordingContext().ctx, threads: 2 });
    expect(one.artifact.manifest.training_threads).toBe(1);
    // js-cpu computes on one thread whatever it is granted.
    const multiThreaded = resolveBackend('auto') !== 'js-cpu';
    expect(two.artifact.manifest.training_threads).toBe(multiThreaded ? 2 : 1);
    expect(asksOne.artifact.manifest.training_threads).toBe(1);
    expect(two.artifact.manifest.weights_sha256).toBe(one.artifact.manifest.weights_sha256);
  });

  it('should stop within 100 ms of a cancel during training', async () => {
    const run = recordingContext();
    let cancelledAt = 0;
    const long = { strategyYaml: applyOverrides(SPX_RSI_STRATEGY, { epochs: 500 }) };
    const training = runTraining(long, {
      ...run.ctx,
      onEpoch: (e) => {
        if (e.epoch === 2) {
          cancelledAt = performance.now();
          run.controller.abort();
        }
      },
    });
    await expect(training).rejects.toMatchObject({ code: 'CANCELLED' });
    expect(performance.now() - cancelledAt).toBeLessThan(100);
  });

  it('should refuse an invalid strategy before loading data', async () => {
    const run = recordingContext();
    const bad = SPX_RSI_STRATEGY.replace('period: 14', 'period: 14, perod: 3');
    await expect(runTraining({ strategyYaml: bad }, run.ctx)).rejects.toMatchObject({ code: 'STRATEGY_INVALID' });
    expect(run.logs.map((l) => l.msg)).toEqual(['Step 1/12: Validating strategy']);
  });

  it('should name missing data', async () => {
    const run = recordingContext();
    await expect(runTraining({ strategyYaml: applyOverrides(SPX_RSI_STRATEGY, { symbols: ['NOPE'] }) }, run.ctx)).rejects.toMatchObject({
      code: 'DATA_NOT_FOUND',
    });
  });
});

describe('runTraining with several symbols', () => {
  it('should label each symbol on its own bars and split each symbol chronologically before stacking', async () => {
    const { MarketDataRepository } = await import('../../src/data/repository.js');
    const { zigzagSegmentLabels } = await import('../../src/labels/zigzag-labels.js');
    const { formatLabelDistribution, labelDistribution } = await import('../../src/labels/label-classes.js');
    const run = recordingContext();
    const { artifact } = await runTraining(
      { strategyYaml: applyOverrides(SPX_RSI_STRATEGY, { symbols: ['SPX', 'EURUSD'], startDate: '2018-01-01' }) },
      run.ctx,
    );
    const data = new MarketDataRepository(new URL('../../data', import.meta.url).pathname);
    let train = 0;
    const startMs = Date.parse('2018-01-01T00:00:00Z');
    for (const symbol of ['SPX', 'EURUSD']) {
      // Labels come from the symbol's own whole series; rows are its bars in range whose RSI has warmed up.
      const series = await data.load(symbol, '1d', { end: '2019-12-31' });
      const labels = zigzagSegmentLabels(series, { threshold: 0.03, price: 'close' });
      const kept = labels.filter((_label, i) => i >= 14 && series.timestamps[i] >= startMs);
      const line = run.logs.find((l) => l.msg.startsWith(`${symbol}: label distribution`));
      expect(line?.msg).toBe(`${symbol}: label distribution ${formatLabelDistribution(labelDistribution(kept))}`);
      train += Math.floor(kept.length * 0.7);
    }
    expect(artifact.metrics.split.train).toBe(train);
    expect(artifact.manifest.symbols).toEqual(['SPX', 'EURUSD']);
    expect(artifact.manifest.data.map((d) => d.symbol)).toEqual(['SPX', 'EURUSD']);
  });
});

describe(runThreads.name, () => {
  it('should take what the strategy asks for, at most what was granted, and all of the grant when it asks nothing', () => {
    expect(runThreads(undefined, 4)).toBe(4);
    expect(runThreads(2, 4)).toBe(2);
    expect(runThreads(8, 4)).toBe(4);
    expect(runThreads(8)).toBe(1);
  });
});

describe('runTraining with other labelers', () => {
  const withLabels = (labels: string, extra = '') =>
    SPX_RSI_STRATEGY.replace('labels: {source: zigzag, zigzag_threshold: 0.03, price: close}', `labels: ${labels}${extra}`);

  it('should train triple-barrier labels as BUY/HOLD/SELL, drop the unlabelled tail, purge and backtest', async () => {
    const run = recordingContext();
    const { artifact } = await runTraining({ strategyYaml: withLabels('{source: triple_barrier, max_holding_period: 10, vol_span: 20}') }, run.ctx);
    expect(artifact.labels).toMatchObject({
      source: 'triple_barrier',
      params: { pt_multiplier: 2, sl_multiplier: 1.5, max_holding_period: 10, vol_span: 20, vol_method: 'atr', compute_weights: false },
      classes: ['BUY', 'HOLD', 'SELL'],
      unlabelled_rows: 10,
    });
    const { split } = artifact.metrics;
    // 2516 rows, the last 10 unlabelled; train and validation each lose the rows whose labels reach the next split.
    expect(split.purged).toBeGreaterThan(0);
    expect(split.train + split.validation + split.test + split.purged!).toBe(2506);
    expect(artifact.metrics.backtest).toBeDefined();
    expect(artifact.model.spec.outputs).toBe(3);
  });

  it('should train regime labels with four classes and no test-period backtest', async () => {
    const run = recordingContext();
    const { artifact } = await runTraining({ strategyYaml: withLabels('{source: regime, vol_lookback: 20}') }, run.ctx);
    expect(artifact.labels.classes).toEqual(['TRENDING_UP', 'TRENDING_DOWN', 'RANGING', 'VOLATILE']);
    expect(Object.keys(artifact.labels.distribution)).toEqual(['TRENDING_UP', 'TRENDING_DOWN', 'RANGING', 'VOLATILE']);
    expect(artifact.model.spec.outputs).toBe(4);
    expect((artifact.metrics.test as ClassificationReport).per_class.map((c) => c.class)).toEqual([
      'TRENDING_UP',
      'TRENDING_DOWN',
      'RANGING',
      'VOLATILE',
    ]);
    expect(artifact.metrics.backtest).toBeUndefined();
    expect(run.logs.map((l) => l.msg)).toContain(
      'No test-period backtest: regime classes (TRENDING_UP, TRENDING_DOWN, RANGING, VOLATILE) are not trading signals',
    );
  });

  it('should give bit-identical weights for the same seed with every labeler (CUSUM and uniqueness weights included)', async () => {
    const sources = [
      '{source: triple_barrier, max_holding_period: 10, vol_span: 20, cusum_threshold: 0, compute_weights: true}',
      '{source: regime, vol_lookback: 20}',
      '{source: context, horizon: 5}',
    ];
    for (const labels of sources) {
      const yaml = withLabels(labels);
      const first = await runTraining({ strategyYaml: yaml }, recordingContext().ctx);
      const second = await runTraining({ strategyYaml: yaml }, recordingContext().ctx);
      expect(second.artifact.manifest.weights_sha256, labels).toBe(first.artifact.manifest.weights_sha256);
      expect(second.artifact.labels.distribution).toEqual(first.artifact.labels.distribution);
    }
  });

  it('should train context labels as BULLISH/BEARISH/NEUTRAL and log their distribution', async () => {
    const run = recordingContext();
    const { artifact } = await runTraining({ strategyYaml: withLabels('{source: context, horizon: 5}') }, run.ctx);
    expect(artifact.labels.classes).toEqual(['BULLISH', 'BEARISH', 'NEUTRAL']);
    expect(run.logs.find((l) => l.msg.startsWith('Label distribution: '))?.msg).toMatch(
      /^Label distribution: BULLISH=\d+\.\d%, BEARISH=\d+\.\d%, NEUTRAL=\d+\.\d%$/,
    );
  });
});

describe('runTraining a regression model', () => {
  const REGRESSION = SPX_RSI_STRATEGY.replace(
    'output_format: classification',
    'output_format: regression\n  cost_model: {round_trip_cost: 0.0005, min_edge_multiplier: 2}',
  ).replace('labels: {source: zigzag, zigzag_threshold: 0.03, price: close}', 'labels: {source: forward_return, horizon: 5}\n  loss: mse');

  it('should train forward returns on one output, report against the zero-return predictor, predict returns and backtest', async () => {
    const run = recordingContext();
    const { artifact } = await runTraining({ strategyYaml: REGRESSION }, run.ctx);
    expect(artifact.model.spec.outputs).toBe(1);
    expect(artifact.labels).toMatchObject({ source: 'forward_return', params: { horizon: 5 }, classes: [], unlabelled_rows: 5 });
    expect(Object.keys(artifact.labels.distribution)).toEqual(['up', 'down', 'flat']);
    const test = artifact.metrics.test as RegressionReport;
    expect(test.output).toBe('regression');
    expect(test.samples).toBe(artifact.metrics.split.test);
    expect(test.rmse).toBeCloseTo(Math.sqrt(test.mse), 12);
    expect(test.baseline.predictor).toBe('zero_return');
    expect(test.baseline.mse).toBeGreaterThan(0);
    expect(test.accuracy).toBe(test.directional_accuracy);
    expect(run.logs.map((l) => l.msg).find((m) => m.startsWith('Test MSE'))).toMatch(/zero-return baseline/);
    // Labels read 5 bars ahead, so the split purges before each boundary.
    expect(artifact.metrics.split.purged).toBeGreaterThan(0);
    expect(artifact.metrics.backtest).toBeDefined();
    expect(artifact.metrics.feature_importance).toHaveLength(3);
    // The artifact survives its JSON round trip (the model store's and hosts' schemas).
    const { artifactFromJson, artifactToJson } = await import('../../src/training/artifact.js');
    expect(artifactFromJson(artifactToJson(artifact)).metrics.test).toEqual(test);

    const { MarketDataRepository } = await import('../../src/data/repository.js');
    const { predictWithArtifact } = await import('../../src/models/inference.js');
    const { requireTradingModel } = await import('../../src/models/model-backtest.js');
    const series = await new MarketDataRepository(join(projectRoot(), 'data')).load('SPX', '1d', {});
    const predictions = predictWithArtifact(artifact, new Map([['1d', series]]));
    for (const p of predictions.slice(-50)) {
      expect(p.predicted_return).toEqual(expect.any(Number));
      expect(p.signal).toBe(p.predicted_return! > 0.001 ? 'BUY' : p.predicted_return! < -0.001 ? 'SELL' : 'HOLD');
      expect(p.confidence).toBe(1);
    }
    expect(() => requireTradingModel(artifact, 1)).not.toThrow();
  });

  it('should give bit-identical weights for the same seed with mse and huber', async () => {
    for (const yaml of [REGRESSION, REGRESSION.replace('loss: mse', 'loss: huber\n  huber_delta: 0.005')]) {
      const first = await runTraining({ strategyYaml: yaml }, recordingContext().ctx);
      const second = await runTraining({ strategyYaml: yaml }, recordingContext().ctx);
      expect(second.artifact.manifest.weights_sha256).toBe(first.artifact.manifest.weights_sha256);
      expect(second.artifact.metrics.test).toEqual(first.artifact.metrics.test);
    }
  });
});

describe('runTraining with raw indicator inputs', () => {
  it('should scale raw inputs with training-split statistics stored in the model and applied again at prediction', async () => {
    const { parseStrategy } = await import('../../src/config/strategy.js');
    const { computeFeatures } = await import('../../src/features/index.js');
    const { MarketDataRepository } = await import('../../src/data/repository.js');
    const { predictWithArtifact } = await import('../../src/models/inference.js');
    const yaml = SPX_RSI_STRATEGY.replace(
      '    timeframes: all\n',
      '    timeframes: all\n  - raw_indicator: rsi_14\n    timeframes: all\n    normalization: zscore\n  - raw_indicator: roc_10\n    timeframes: [1d]\n    normalization: minmax\n',
    ).replace('  rsi_14: {type: rsi, period: 14}\n', '  rsi_14: {type: rsi, period: 14}\n  roc_10: {type: roc, period: 10}\n');
    const { artifact } = await runTraining({ strategyYaml: yaml }, recordingContext().ctx);
    expect(artifact.features.names).toEqual([
      '1d_rsi_zone_oversold',
      '1d_rsi_zone_neutral',
      '1d_rsi_zone_overbought',
      '1d_rsi_14_raw',
      '1d_roc_10_raw',
    ]);
    const [rsi, roc] = artifact.features.normalization!;
    expect(rsi).toMatchObject({ feature: '1d_rsi_14_raw', method: 'zscore' });
    expect(roc).toMatchObject({ feature: '1d_roc_10_raw', method: 'minmax' });

    // The statistics are those of the training rows (the first 70 %), not of all rows.
    const strategy = parseStrategy(yaml);
    const series = await new MarketDataRepository(new URL('../../data', import.meta.url).pathname).load('SPX', '1d', { end: '2019-12-31' });
    const matrix = computeFeatures(strategy, new Map([['1d', series]]), { startMs: Date.parse('2010-01-01T00:00:00Z') });
    const trainRows = artifact.metrics.split.train;
    expect(trainRows).toBe(Math.floor(matrix.rows * 0.7));
    const column = (c: number, rows: number) => Array.from({ length: rows }, (_, r) => matrix.values[r * 5 + c]);
    const trainRsi = column(3, trainRows);
    expect(rsi.method === 'zscore' && rsi.mean).toBeCloseTo(trainRsi.reduce((s, x) => s + x, 0) / trainRows, 9);
    expect(roc.method === 'minmax' && roc.max).toBe(Math.max(...column(4, trainRows)));
    expect(Math.max(...column(4, matrix.rows))).toBeGreaterThan(roc.method === 'minmax' ? roc.max : 0);

    // Prediction applies the stored scaling: dropping it changes the outputs.
    const bars = new Map([['1d', series]]);
    const scaled = predictWithArtifact(artifact, bars);
    const unscaled = predictWithArtifact({ ...artifact, features: { ...artifact.features, normalization: undefined } }, bars);
    expect(scaled).toHaveLength(unscaled.length);
    expect(scaled.map((p) => p.confidence)).not.toEqual(unscaled.map((p) => p.confidence));
  });
});
