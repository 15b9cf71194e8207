import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MarketDataRepository } from '../../src/data/repository.js';
import { predictFromStore } from '../../src/models/inference.js';
import { backtestModel } from '../../src/models/model-backtest.js';
import { FileModelStore } from '../../src/models/model-store.js';
import { runTraining } from '../../src/training/pipeline.js';
import { SPX_RSI_STRATEGY, recordingContext } from '../helpers/training-fixtures.js';

const REGIME_CLASSES = ['TRENDING_UP', 'TRENDING_DOWN', 'RANGING', 'VOLATILE'];

describe('a model whose classes are not trading signals (regime labels)', () => {
  let root: string;
  let store: FileModelStore;
  const data = new MarketDataRepository(new URL('../../data', import.meta.url).pathname);

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'ktrdr-regime-'));
    store = new FileModelStore(root);
    const yaml = SPX_RSI_STRATEGY.replace('labels: {source: zigzag, zigzag_threshold: 0.03, price: close}', 'labels: {source: regime, vol_lookback: 20}');
    const { artifact } = await runTraining({ strategyYaml: yaml }, recordingContext().ctx);
    await store.save(artifact);
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('should keep its class list through the store and predict with those class names', async () => {
    const { artifact } = await store.load('spx_rsi_test');
    expect(artifact.labels.classes).toEqual(REGIME_CLASSES);
    const { predictions } = await predictFromStore(store, data, { strategy: 'spx_rsi_test', symbol: 'SPX', last: 10 });
    expect(predictions).toHaveLength(10);
    for (const p of predictions) {
      expect(Object.keys(p.probabilities)).toEqual(REGIME_CLASSES);
      expect(REGIME_CLASSES).toContain(p.signal);
      expect(p.confidence).toBe(p.probabilities[p.signal]);
    }
  });

  it('should refuse a backtest with MODEL_NOT_TRADABLE', async () => {
    await expect(backtestModel(store, data, { strategy: 'spx_rsi_test', symbol: 'SPX' })).rejects.toMatchObject({
      code: 'MODEL_NOT_TRADABLE',
      message: expect.stringContaining('regime classes (TRENDING_UP, TRENDING_DOWN, RANGING, VOLATILE)'),
    });
  });
});
