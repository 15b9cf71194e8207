import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MarketDataRepository } from '../../src/data/repository.js';
import { resample } from '../../src/data/resample.js';
import { ktrdr } from '../helpers/cli-harness.js';

describe('ktrdr data', () => {
  let dir: string;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ktrdr-cli-data-'));
  });

  afterEach(async () => {
    vi.unstubAllEnvs();
    await rm(dir, { recursive: true, force: true });
  });

  it('should write the hourly series and its exact 4h and 1d resamples', async () => {
    const { code, stdout } = await ktrdr(
      'data',
      'synth',
      '--symbol',
      'GBPUSD',
      '--timeframe',
      '1h',
      '--bars',
      '500',
      '--seed',
      '3',
      '--out-dir',
      dir,
    );
    expect(code).toBe(0);
    expect(stdout).toMatch(/wrote .*GBPUSD_1h\.csv: 500 bars, sha256 [0-9a-f]{12}\n/);
    expect((await readdir(dir)).sort()).toEqual(['GBPUSD_1d.csv', 'GBPUSD_1h.csv', 'GBPUSD_4h.csv']);
    const repo = new MarketDataRepository(dir);
    const hourly = await repo.load('GBPUSD', '1h');
    expect(await repo.load('GBPUSD', '4h')).toEqual(resample(hourly, '4h'));
    expect(await repo.load('GBPUSD', '1d')).toEqual(resample(hourly, '1d'));
  });

  it('should write into KTRDR_DATA_DIR by default and refuse to overwrite without --force', async () => {
    vi.stubEnv('KTRDR_DATA_DIR', dir);
    expect((await ktrdr('data', 'synth', '--bars', '50', '--resample', '1d')).code).toBe(0);
    expect((await readdir(dir)).sort()).toEqual(['EURUSD_1d.csv', 'EURUSD_1h.csv']);
    const again = await ktrdr('data', 'synth', '--bars', '50', '--resample', '1d');
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('error [FILE_EXISTS]');
    expect(again.stderr).toContain('--force');
    expect((await ktrdr('data', 'synth', '--bars', '60', '--resample', '1d', '--force')).code).toBe(0);
    expect((await new MarketDataRepository(dir).load('EURUSD', '1h')).timestamps.length).toBe(60);

    const listed = await ktrdr('data', 'list');
    expect(listed.stdout).toMatch(/^SYMBOL\s+TIMEFRAME\s+SIZE\s+FILE\nEURUSD\s+1h\s+.*\nEURUSD\s+1d\s+/);
  });

  it('should reject bad arguments with exit 1', async () => {
    const badBars = await ktrdr('data', 'synth', '--bars', 'many', '--out-dir', dir);
    expect(badBars.code).toBe(1);
    expect(badBars.stderr).toContain("error [VALIDATION_FAILED]: --bars must be an integer in 1..10000000, got 'many'");
    const badSymbol = await ktrdr('data', 'synth', '--symbol', '../x', '--out-dir', dir);
    expect(badSymbol.code).toBe(1);
    expect(badSymbol.stderr).toContain('INVALID_NAME');
    expect((await ktrdr('data', 'synth', '--resample', '90m', '--bars', '10', '--out-dir', dir)).stderr).toContain('VALIDATION_FAILED');
    expect(await readdir(dir)).toEqual([]);
  });
});
