import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { projectRoot } from '../../src/util/package-info.js';
import { ktrdr } from '../helpers/cli-harness.js';

const GOOD = `name: good
description: a small valid strategy
training_data: {symbols: [SPX], timeframes: [1d]}
indicators: {rsi_14: {type: rsi}, sma_20: {type: sma}}
fuzzy_sets: {zone: {indicator: rsi_14, low: [0, 30, 50], high: [50, 70, 100]}}
nn_inputs: [{fuzzy_set: zone}]
model: {hidden_layers: [4]}
`;

const BAD = `name: bad
training_data: {symbols: [SPX], timeframes: [1d]}
indicators: {rsi_14: {type: rsii}}
fuzzy_sets: {zone: {indicator: rsi_15, low: [0, 60, 50]}}
nn_inputs: [{fuzzy_set: zone, timeframes: [1h]}]
model: {hidden_layers: [4]}
training: {epoch: 3}
`;

describe('ktrdr strategies', () => {
  let dir: string;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ktrdr-cli-strategies-'));
    await writeFile(join(dir, 'good.yaml'), GOOD);
    await writeFile(join(dir, 'bad.yaml'), BAD);
    vi.stubEnv('KTRDR_STRATEGIES_DIR', dir);
  });

  afterEach(async () => {
    vi.unstubAllEnvs();
    await rm(dir, { recursive: true, force: true });
  });

  it('should list strategies with symbols, timeframes and validity', async () => {
    const { code, stdout } = await ktrdr('strategies', 'list');
    expect(code).toBe(0);
    const rows = stdout.trim().split('\n');
    expect(rows[0]).toMatch(/^NAME\s+STATUS\s+SYMBOLS\s+TIMEFRAMES\s+DESCRIPTION$/);
    expect(rows[1]).toMatch(/^bad\s+invalid \(5 problems\)\s+-\s+-\s+run: ktrdr strategies validate bad$/);
    expect(rows[2]).toMatch(/^good\s+valid\s+SPX\s+1d\s+a small valid strategy$/);
  });

  it('should validate a good strategy by name with a short summary and warnings', async () => {
    const { code, stdout } = await ktrdr('strategies', 'validate', 'good');
    expect(code).toBe(0);
    expect(stdout).toContain(`good is valid (${join(dir, 'good.yaml')})`);
    expect(stdout).toContain('features: 2');
    expect(stdout).toContain('warnings:\n  indicators.sma_20: not used by any fuzzy set or raw_indicator input (line 4)');
  });

  it('should print every problem and exit 1 for an invalid strategy', async () => {
    const { code, stdout } = await ktrdr('strategies', 'validate', join(dir, 'bad.yaml'));
    expect(code).toBe(1);
    expect(stdout.split('\n')).toEqual([
      `${join(dir, 'bad.yaml')} is invalid (5 problems):`,
      expect.stringMatching(/^ {2}indicators\.rsi_14\.type: unknown indicator type 'rsii' \(available: .*\) \(line 3\)$/),
      "  fuzzy_sets.zone.indicator: unknown indicator 'rsi_15' (defined: rsi_14) (line 4)",
      '  fuzzy_sets.zone.low: triangular parameters must satisfy a <= b <= c, got [0, 60, 50] (line 4)',
      "  nn_inputs[0].timeframes[0]: timeframe '1h' is not in training_data.timeframes (1d) (line 5)",
      expect.stringMatching(/^ {2}training\.epoch: unknown key \(allowed: epochs, .*\) \(line 7\)$/),
      '',
    ]);
  });

  it('should refuse path tricks in names and report missing strategies with exit 1', async () => {
    const tricky = await ktrdr('strategies', 'validate', '../good');
    expect(tricky.code).toBe(1);
    expect(tricky.stderr).toContain('error [INVALID_NAME]');
    const missing = await ktrdr('strategies', 'validate', 'nope');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain(`error [STRATEGY_NOT_FOUND]: no strategy 'nope' in ${dir}`);
    expect(missing.stderr).toContain('hint: available: bad, good');
  });

  it('should validate the bundled examples from the default directory', async () => {
    vi.unstubAllEnvs();
    const { code, stdout } = await ktrdr('strategies', 'list', '--dir', join(projectRoot(), 'strategies'));
    expect(code).toBe(0);
    expect(stdout).toMatch(/demo_rsi\s+valid\s+SPX\s+1d/);
    expect(stdout).toMatch(/eurusd_multi_timeframe\s+valid\s+EURUSD\s+1h,4h,1d/);
    expect(stdout).not.toContain('invalid');
  });
});
