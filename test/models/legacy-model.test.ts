import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { MarketDataRepository } from '../../src/data/repository.js';
import { predictFromStore } from '../../src/models/inference.js';
import { FileModelStore } from '../../src/models/model-store.js';

const MODELS = fileURLToPath(new URL('../fixtures/models', import.meta.url));
const DATA = fileURLToPath(new URL('../../data', import.meta.url));

/** sha256 of the prediction set the code of commit 2216efe gave for this model (see test/fixtures/README.md). */
const PREDICTIONS_SHA256 = 'd6246271f15c7371474ba894a9abc9e072cb60e6e76c51990d663b4f99e42b2d';

describe('a model written before labelers had class lists of their own', () => {
  it('should load with its zigzag label record and predict byte for byte as the code that wrote it', async () => {
    const store = new FileModelStore(MODELS);
    const { artifact } = await store.load('legacy_zigzag');
    expect(artifact.labels).toEqual({
      source: 'zigzag',
      zigzag_threshold: 0.03,
      price: 'close',
      classes: ['BUY', 'HOLD', 'SELL'],
      distribution: { BUY: 1741, HOLD: 119, SELL: 656 },
    });
    const set = await predictFromStore(store, new MarketDataRepository(DATA), { strategy: 'legacy_zigzag', symbol: 'SPX', start: '2019-01-01' });
    expect(set.predictions).toHaveLength(326);
    expect(createHash('sha256').update(JSON.stringify(set)).digest('hex')).toBe(PREDICTIONS_SHA256);
  });
});
