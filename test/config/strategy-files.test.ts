import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { featureIds } from '../../src/config/strategy.js';
import { listStrategies, loadStrategyFile, resolveStrategyName, resolveStrategyPath } from '../../src/config/strategy-files.js';
import { MarketDataRepository } from '../../src/data/repository.js';
import { projectRoot } from '../../src/util/package-info.js';

const STRATEGIES_DIR = join(projectRoot(), 'strategies');

const TINY = `name: tiny
training_data: {symbols: [SPX], timeframes: [1d]}
indicators: {rsi_14: {type: rsi}}
fuzzy_sets: {zone: {indicator: rsi_14, low: [0, 30, 50], high: [50, 70, 100]}}
nn_inputs: [{fuzzy_set: zone}]
model: {hidden_layers: [4]}
`;

describe('strategy files', () => {
  let dir: string;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ktrdr-strategies-'));
    await writeFile(join(dir, 'tiny.yaml'), TINY);
    await writeFile(join(dir, 'other.yml'), TINY.replace('name: tiny', 'name: other'));
    await writeFile(join(dir, 'broken.yaml'), TINY.replace('model: {hidden_layers: [4]}', 'model: {hidden_layers: [4], layers: 2}'));
    await writeFile(join(dir, 'README.md'), '# not a strategy');
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  describe(resolveStrategyPath.name, () => {
    it('should find a name as .yaml, then .yml', async () => {
      expect(await resolveStrategyPath('tiny', dir)).toBe(join(dir, 'tiny.yaml'));
      expect(await resolveStrategyPath('other', dir)).toBe(join(dir, 'other.yml'));
    });

    it('should say where it looked when a name is missing, listing what exists', async () => {
      const error = await resolveStrategyPath('nope', dir).catch((e: unknown) => e);
      expect(error).toMatchObject({
        code: 'STRATEGY_NOT_FOUND',
        message: `no strategy 'nope' in ${dir} (looked for nope.yaml and nope.yml)`,
        details: { available: ['broken', 'other', 'tiny'] },
      });
    });

    it('should refuse names that could escape the directory', async () => {
      for (const bad of ['../tiny', '..', 'a/b', 'a\\b', '/etc/passwd', '.hidden', '', 'tiny\0', 'x y']) {
        await expect(resolveStrategyPath(bad, dir), bad).rejects.toMatchObject({ code: 'INVALID_NAME' });
        await expect(resolveStrategyName(bad, dir), bad).rejects.toMatchObject({ code: 'INVALID_NAME' });
      }
    });

    it('should accept an explicit .yaml path (CLI), but resolveStrategyName never does', async () => {
      const path = join(dir, 'tiny.yaml');
      expect(await resolveStrategyPath(path, '/nonexistent')).toBe(path);
      await expect(resolveStrategyPath(join(dir, 'missing.yaml'), dir)).rejects.toMatchObject({ code: 'STRATEGY_NOT_FOUND' });
      await expect(resolveStrategyName('tiny.yaml', dir)).rejects.toMatchObject({ code: 'INVALID_NAME' });
    });
  });

  describe(loadStrategyFile.name, () => {
    it('should load, validate and keep the raw text', async () => {
      const strategy = await loadStrategyFile(join(dir, 'tiny.yaml'));
      expect(strategy.name).toBe('tiny');
      expect(strategy.source.text).toBe(TINY);
      expect(strategy.source.file).toBe(join(dir, 'tiny.yaml'));
    });

    it('should fail a file with an unknown key, naming the key and the file', async () => {
      const error = await loadStrategyFile(join(dir, 'broken.yaml')).catch((e: unknown) => e);
      expect(error).toMatchObject({
        code: 'STRATEGY_INVALID',
        details: {
          file: join(dir, 'broken.yaml'),
          errors: [{ path: 'model.layers', message: expect.stringContaining('unknown key (allowed: type, hidden_layers'), line: 6 }],
        },
      });
      expect((error as Error).message).toContain('model.layers: unknown key');
    });

    it('should warn when the name inside differs from the file name', async () => {
      await writeFile(join(dir, 'renamed.yaml'), TINY);
      const strategy = await loadStrategyFile(join(dir, 'renamed.yaml'));
      expect(strategy.warnings).toEqual([
        { path: 'name', message: "'tiny' differs from the file name 'renamed'; models will be stored as 'tiny'", line: 1 },
      ]);
    });

    it('should report a missing file as STRATEGY_NOT_FOUND', async () => {
      await expect(loadStrategyFile(join(dir, 'missing.yaml'))).rejects.toMatchObject({ code: 'STRATEGY_NOT_FOUND' });
    });
  });

  describe(listStrategies.name, () => {
    it('should list every YAML file, valid or not, sorted by name', async () => {
      const listed = await listStrategies(dir);
      expect(listed.map((l) => [l.name, l.strategy !== undefined, l.error?.code])).toEqual([
        ['broken', false, 'STRATEGY_INVALID'],
        ['other', true, undefined],
        ['tiny', true, undefined],
      ]);
      expect(await listStrategies(join(dir, 'missing'))).toEqual([]);
    });
  });

  describe('bundled examples', () => {
    it('should all validate, with their data available offline', async () => {
      const files = (await readdir(STRATEGIES_DIR)).filter((f) => f.endsWith('.yaml'));
      expect(files.length).toBeGreaterThanOrEqual(3);
      const listed = await listStrategies(STRATEGIES_DIR);
      for (const listing of listed) {
        expect(listing.error?.message, listing.name).toBeUndefined();
        expect(listing.strategy?.name).toBe(listing.name);
        expect(listing.strategy?.warnings).toEqual([]);
      }
      const repo = new MarketDataRepository(join(projectRoot(), 'data'));
      const available = new Set((await repo.list()).map((f) => `${f.symbol}_${f.timeframe}`));
      for (const { strategy } of listed) {
        for (const symbol of strategy!.trainingData.symbols) {
          for (const timeframe of strategy!.trainingData.timeframes)
            expect(available, `${strategy!.name}: ${symbol}_${timeframe}`).toContain(`${symbol}_${timeframe}`);
        }
      }
    });

    it('should include a fast single-indicator demo, a multi-indicator and a multi-timeframe strategy', async () => {
      const demo = await loadStrategyFile(join(STRATEGIES_DIR, 'demo_rsi.yaml'));
      expect(demo.indicators).toHaveLength(1);
      expect(demo.training.epochs).toBeLessThanOrEqual(30);
      const multi = await loadStrategyFile(join(STRATEGIES_DIR, 'spx_multi_indicator.yaml'));
      expect(multi.indicators.some((i) => i.outputs.length > 1)).toBe(true);
      const mtf = await loadStrategyFile(join(STRATEGIES_DIR, 'eurusd_multi_timeframe.yaml'));
      expect(mtf.trainingData.timeframes).toEqual(['1h', '4h', '1d']);
      expect(featureIds(mtf).filter((id) => id.startsWith('1d_'))).not.toHaveLength(0);
    });

    it('should ship bundled synthetic EURUSD data that is exactly what the generator makes', async () => {
      const { generateSyntheticSeries } = await import('../../src/data/synth.js');
      const { formatOhlcvCsv } = await import('../../src/data/csv.js');
      const { resample } = await import('../../src/data/resample.js');
      const hourly = generateSyntheticSeries({ symbol: 'EURUSD', timeframe: '1h', bars: 20_000, seed: 7 });
      const data = join(projectRoot(), 'data');
      expect(await readFile(join(data, 'EURUSD_1h.csv'), 'utf8')).toBe(formatOhlcvCsv(hourly));
      expect(await readFile(join(data, 'EURUSD_4h.csv'), 'utf8')).toBe(formatOhlcvCsv(resample(hourly, '4h')));
      expect(await readFile(join(data, 'EURUSD_1d.csv'), 'utf8')).toBe(formatOhlcvCsv(resample(hourly, '1d')));
    });
  });
});
