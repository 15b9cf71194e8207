import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MarketDataRepository } from '../../src/data/repository.js';
import { predictFromStore, predictWithArtifact } from '../../src/models/inference.js';
import { FileModelStore } from '../../src/models/model-store.js';
import { runTraining } from '../../src/training/pipeline.js';
import type { ModelArtifact } from '../../src/training/artifact.js';
import { SPX_RSI_STRATEGY, recordingContext } from '../helpers/training-fixtures.js';

describe('prediction', () => {
  let root: string;
  let artifact: ModelArtifact;
  const data = new MarketDataRepository(new URL('../../data', import.meta.url).pathname);

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'ktrdr-predict-'));
    ({ artifact } = await runTraining({ strategyYaml: SPX_RSI_STRATEGY }, recordingContext().ctx));
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('should give the same signals from a reloaded model as from the in-memory one', async () => {
    const store = new FileModelStore(root);
    const { version } = await store.save(artifact);
    const series = new Map([['1d', await data.load('SPX', '1d', { end: '2020-04-17' })]]);
    const inMemory = predictWithArtifact(artifact, series);
    const reloaded = await predictFromStore(store, data, { strategy: 'spx_rsi_test', symbol: 'SPX' });
    expect(reloaded.version).toBe(version);
    expect(reloaded.predictions).toEqual(inMemory);
    expect(inMemory.length).toBe(5105 - 14);
    for (const p of inMemory.slice(-20)) {
      const sum = p.probabilities.BUY + p.probabilities.HOLD + p.probabilities.SELL;
      expect(sum).toBeCloseTo(1, 5);
      expect(p.confidence).toBe(Math.max(p.probabilities.BUY, p.probabilities.HOLD, p.probabilities.SELL));
      expect(['BUY', 'HOLD', 'SELL']).toContain(p.signal);
    }
  });

  it('should cut the output to the date range and the last K bars while keeping warm-up history', async () => {
    const store = new FileModelStore(root);
    const ranged = await predictFromStore(store, data, { strategy: 'spx_rsi_test', symbol: 'SPX', start: '2020-01-01', end: '2020-01-31' });
    expect(ranged.predictions[0].timestamp).toBe('2020-01-02T00:00:00Z');
    expect(ranged.predictions.at(-1)!.timestamp).toBe('2020-01-31T00:00:00Z');
    const last = await predictFromStore(store, data, { strategy: 'spx_rsi_test', symbol: 'SPX', last: 3 });
    expect(last.predictions.map((p) => p.timestamp)).toEqual(['2020-04-15T00:00:00Z', '2020-04-16T00:00:00Z', '2020-04-17T00:00:00Z']);
  });

  it('should refuse a timeframe the model was not trained on', async () => {
    await expect(predictFromStore(new FileModelStore(root), data, { strategy: 'spx_rsi_test', symbol: 'SPX', timeframe: '1h' })).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
    });
  });
});

describe('predictFromCsv', () => {
  it('should refuse bars of another timeframe than the model was trained on', async () => {
    const { readFile, mkdtemp } = await import('node:fs/promises');
    const { predictFromCsv } = await import('../../src/models/inference.js');
    const root = await mkdtemp(join(tmpdir(), 'ktrdr-csv-'));
    const store = new FileModelStore(root);
    const { artifact } = await runTraining({ strategyYaml: SPX_RSI_STRATEGY }, recordingContext().ctx);
    await store.save(artifact);
    const stored = await store.load('spx_rsi_test');
    const dataDir = new URL('../../data/', import.meta.url);
    const daily = predictFromCsv(stored, await readFile(new URL('SPX_1d.csv', dataDir)), { file: 'SPX_1d.csv', symbol: 'SPX', last: 2 });
    expect(daily.predictions).toHaveLength(2);
    expect(() => predictFromCsv(stored, new Uint8Array(), { file: 'x.csv', symbol: 'SPX', timeframe: '1h' })).toThrow(/predicts on 1d bars, not 1h/);
    const hourly = await readFile(new URL('EURUSD_1h.csv', dataDir));
    expect(() => predictFromCsv(stored, hourly, { file: 'EURUSD_1h.csv', symbol: 'EURUSD' })).toThrow(/60 minutes apart, but the model was trained on 1d bars/);
    await rm(root, { recursive: true, force: true });
  });
});
