import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { featureIds } from '../../src/config/strategy.js';
import { loadStrategyFile } from '../../src/config/strategy-files.js';
import { runTraining } from '../../src/training/pipeline.js';
import { applyOverrides } from '../../src/training/overrides.js';
import { projectRoot } from '../../src/util/package-info.js';
import { readFile } from 'node:fs/promises';
import { recordingContext } from '../helpers/training-fixtures.js';

const STRATEGIES_DIR = join(projectRoot(), 'strategies');

/** Loads a bundled strategy file and trains it for `epochs` epochs on the bundled data. */
async function trainBriefly(file: string, epochs = 2) {
  const path = join(STRATEGIES_DIR, file);
  const strategy = await loadStrategyFile(path);
  const yaml = applyOverrides(await readFile(path, 'utf8'), { epochs });
  const { artifact } = await runTraining({ strategyYaml: yaml }, recordingContext().ctx);
  return { strategy, artifact };
}

describe("the original's example strategies (reference §1.4), with the documented renames", () => {
  it('v3_multi_timeframe_example: 9 RSI memberships over 1h, 4h and 1d, ZigZag labels', async () => {
    const { strategy, artifact } = await trainBriefly('v3_multi_timeframe_example.yaml');
    expect(strategy.conventions).toBe('ktrdr');
    expect(featureIds(strategy)).toEqual(['1h', '4h', '1d'].flatMap((tf) => ['oversold', 'neutral', 'overbought'].map((m) => `${tf}_rsi_14_${m}`)));
    expect(strategy.training).toMatchObject({ epochs: 100, learningRate: 0.001, batchSize: 32 });
    expect(artifact.metrics.history).toHaveLength(2);
    expect(artifact.labels.classes).toEqual(['BUY', 'HOLD', 'SELL']);
    expect(artifact.metrics.test.accuracy).toBeGreaterThan(0);
  });

  it('trend_tb_signal_v1: 12 memberships, triple-barrier labels with uniqueness weights, focal loss, plateau schedule', async () => {
    const { strategy, artifact } = await trainBriefly('trend_tb_signal_v1.yaml');
    expect(featureIds(strategy)).toHaveLength(12);
    expect(strategy.training).toMatchObject({
      loss: { kind: 'focal', gamma: 2 },
      lrScheduler: { type: 'reduce_on_plateau', factor: 0.5, patience: 5, minLr: 0 },
      gradientClip: 1,
      batchSize: 256,
      epochs: 200,
    });
    expect(strategy.training.labels).toMatchObject({ source: 'triple_barrier', computeWeights: true });
    expect(artifact.labels.classes).toEqual(['BUY', 'HOLD', 'SELL']);
    expect(artifact.metrics.history.map((epoch) => epoch.learning_rate)).toEqual([0.001, 0.001]);
  });
});

describe('the bundled triple-barrier example', () => {
  it('eurusd_triple_barrier: CUSUM events, raw z-scored inputs, adamw, cosine schedule, focal loss', async () => {
    const { strategy, artifact } = await trainBriefly('eurusd_triple_barrier.yaml', 3);
    expect(strategy.training).toMatchObject({ optimizer: 'adamw', loss: { kind: 'focal', gamma: 1 }, lrScheduler: { type: 'cosine', tMax: 40 } });
    expect(artifact.features.names.slice(-3)).toEqual(['1h_macd_12_26_9.histogram_raw', '1h_roc_10_raw', '1h_atr_14.atr_raw']);
    expect(artifact.labels.classes).toEqual(['BUY', 'HOLD', 'SELL']);
    // Trained here for 3 epochs, so the cosine runs over those 3: lr₀·(1 + cos(π·e/3))/2 for e = 0, 1, 2.
    const rates = artifact.metrics.history.map((epoch) => epoch.learning_rate);
    expect(rates).toHaveLength(3);
    [0.002, 0.0015, 0.0005].forEach((rate, i) => expect(rates[i]).toBeCloseTo(rate, 12));
  });
});
