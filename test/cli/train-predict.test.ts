import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../../src/util/package-info.js';
import { runCliProcess, startCli } from '../helpers/cli-process.js';
import { SPX_RSI_STRATEGY } from '../helpers/training-fixtures.js';

describe('ktrdr train / predict / models (real processes)', () => {
  let root: string;
  let env: Record<string, string>;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'ktrdr-cli-'));
    await mkdir(join(root, 'strategies'));
    await writeFile(join(root, 'strategies', 'spx_rsi_test.yaml'), SPX_RSI_STRATEGY);
    env = {
      KTRDR_DATA_DIR: join(projectRoot(), 'data'),
      KTRDR_STRATEGIES_DIR: join(root, 'strategies'),
      KTRDR_MODELS_DIR: join(root, 'models'),
      KTRDR_HOME: join(root, 'home'),
    };
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('should train, print plain step lines off a terminal, and save version 1', async () => {
    const result = await runCliProcess(['train', 'spx_rsi_test'], env);
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/^Step 1\/12: Validating strategy$/m);
    expect(result.stderr).toMatch(/^Step 12\/12: Packaging model artifact$/m);
    expect(result.stderr).not.toContain('\u001b[');
    expect(result.stdout).toMatch(/Model spx_rsi_test v1 saved/);
    expect(result.stdout).toMatch(/Test accuracy 0\.\d{4} \(majority-class baseline 0\.\d{4}\)/);
    expect(result.stdout).toMatch(/^Test period: return -?\d+\.\d\d% \(buy-and-hold -?\d+\.\d\d%\), Sharpe \S+ \(\S+\), max drawdown/m);
    expect(await readdir(join(root, 'models', 'spx_rsi_test', 'v1'))).toContain('weights.bin');
  });

  it('should print machine-readable events with --json', async () => {
    const result = await runCliProcess(['train', 'spx_rsi_test', '--json', '--epochs', '2'], env);
    expect(result.code).toBe(0);
    const events = result.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { kind: string; data: Record<string, unknown> });
    expect(events.filter((e) => e.kind === 'metric').map((e) => e.data.epoch)).toEqual([1, 2]);
    expect(events.at(-1)).toMatchObject({ kind: 'result', data: { strategy: 'spx_rsi_test', version: 2 } });
    expect(events.some((e) => e.kind === 'progress' && e.data.percent === 100)).toBe(true);
  });

  it('should list and show models and predict with them', async () => {
    const list = await runCliProcess(['models', 'list', 'spx_rsi_test'], env);
    expect(list.stdout).toMatch(/spx_rsi_test\s+v1/);
    expect(list.stdout).toMatch(/spx_rsi_test\s+v2/);
    // The test-period backtest next to accuracy: the model's return, then buy-and-hold's, Sharpe and drawdown.
    expect(list.stdout).toMatch(/TEST_ACC\s+TEST_RETURN\s+BUY_HOLD\s+SHARPE\s+MAX_DD/);
    expect(list.stdout).toMatch(/spx_rsi_test\s+v1\s+\S+\s+3\s+0\.\d{4}\s+-?\d+\.\d\d%\s+-?\d+\.\d\d%\s+-?\d+\.\d\d\s+\d+\.\d\d%/);
    const show = await runCliProcess(['models', 'show', 'spx_rsi_test', 'v1'], env);
    expect(show.code).toBe(0);
    expect(show.stdout).toMatch(/features:\s+3 \(1d_rsi_zone_oversold/);
    const predict = await runCliProcess(['predict', 'spx_rsi_test', '--version', '1', '--last', '3', '--json'], env);
    expect(predict.code).toBe(0);
    const body = JSON.parse(predict.stdout) as { version: number; predictions: { timestamp: string; signal: string }[] };
    expect(body.version).toBe(1);
    expect(body.predictions.map((p) => p.timestamp)).toEqual(['2020-04-15T00:00:00Z', '2020-04-16T00:00:00Z', '2020-04-17T00:00:00Z']);
    const fromFile = await runCliProcess(
      ['predict', 'spx_rsi_test', '--version', '1', '--data', join(projectRoot(), 'data', 'SPX_1d.csv'), '--last', '3', '--json'],
      env,
    );
    expect((JSON.parse(fromFile.stdout) as typeof body).predictions).toEqual(body.predictions);
  });

  it('should cancel cleanly on Ctrl+C: exit 130 and no model written', async () => {
    // Early stopping off, so the run is still training when the signal arrives.
    await writeFile(
      join(root, 'strategies', 'spx_rsi_long.yaml'),
      SPX_RSI_STRATEGY.replace('name: spx_rsi_test', 'name: spx_rsi_long').replace('  seed: 7', '  seed: 7\n  early_stopping: {enabled: false}'),
    );
    const run = startCli(['train', 'spx_rsi_long', '--epochs', '100000'], env);
    await run.waitFor(/Step 9\/12: Training model/);
    // Well into training: thousands of sub-millisecond epochs must still leave the signal handler a turn.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    run.child.kill('SIGINT');
    const result = await run.done;
    expect(result.code).toBe(130);
    expect(result.stderr).toMatch(/cancelled; no model was saved/);
    expect(await readdir(join(root, 'models'))).not.toContain('spx_rsi_long');
  });

  it('should fail with the error code for a missing model or strategy', async () => {
    const missing = await runCliProcess(['predict', 'nothing_here', '--symbol', 'SPX'], env);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/MODEL_NOT_FOUND/);
    const noStrategy = await runCliProcess(['train', 'nothing_here'], env);
    expect(noStrategy.code).toBe(1);
    expect(noStrategy.stderr).toMatch(/STRATEGY_NOT_FOUND/);
    const tricks = await runCliProcess(['train', '../../etc/passwd'], env);
    expect(tricks.code).toBe(1);
    expect(tricks.stderr).toMatch(/INVALID_NAME/);
  });

  it('should report a bad override as the option typed, not as a line of the strategy file', async () => {
    const cases: [string[], RegExp][] = [
      [['--start', '2020-13-45'], /^error \[VALIDATION_FAILED\]: --start must be an ISO date .* got '2020-13-45'$/m],
      [['--end', '2021-02-30'], /^error \[VALIDATION_FAILED\]: --end must be an ISO date/m],
      [
        ['--start', '2020-06-01'],
        /^error \[VALIDATION_FAILED\]: --start '2020-06-01' is after the strategy's end_date '2019-12-31' \(give --end too\)$/m,
      ],
      [['--symbols', 'SPX,a/b'], /^error \[VALIDATION_FAILED\]: --symbols has 'a\/b'/m],
      [['--timeframes', '1x'], /^error \[VALIDATION_FAILED\]: --timeframes has '1x'/m],
      [['--epochs', '0'], /^error \[VALIDATION_FAILED\]: --epochs must be an integer/m],
      [['--seed', 'abc'], /^error \[VALIDATION_FAILED\]: --seed must be an integer/m],
    ];
    const results = await Promise.all(cases.map(([args]) => runCliProcess(['train', 'spx_rsi_test', ...args], env)));
    results.forEach((result, i) => {
      expect(result.code, cases[i][0].join(' ')).toBe(1);
      expect(result.stderr).toMatch(cases[i][1]);
      expect(result.stderr).not.toMatch(/STRATEGY_INVALID|line \d+/);
      expect(result.stdout).toBe('');
    });
  });

  it('should end --json output of a failed run with an error record, wherever it failed', async () => {
    const [override, missing, emptyRange] = await Promise.all([
      runCliProcess(['train', 'spx_rsi_test', '--json', '--start', '2020-13-45'], env),
      runCliProcess(['train', 'nothing_here', '--json'], env),
      // Valid dates, but no data in them: found by the pipeline, after progress records.
      runCliProcess(['train', 'spx_rsi_test', '--json', '--start', '2030-01-01', '--end', '2030-12-31'], env),
    ]);
    const records = (stdout: string) =>
      stdout
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as { kind: string; error?: { code: string; message: string } });
    expect(records(override.stdout)).toEqual([
      {
        kind: 'error',
        error: expect.objectContaining({ code: 'VALIDATION_FAILED', details: { problems: [expect.objectContaining({ option: '--start' })] } }),
      },
    ]);
    expect(records(missing.stdout)).toEqual([
      { kind: 'error', error: expect.objectContaining({ code: 'STRATEGY_NOT_FOUND', message: expect.any(String) }) },
    ]);
    const run = records(emptyRange.stdout);
    expect(run[0].kind).toBe('log');
    expect(run.at(-1)).toEqual({
      kind: 'error',
      error: expect.objectContaining({ code: expect.stringMatching(/^DATA_/), message: expect.any(String) }),
    });
    for (const result of [override, missing, emptyRange]) {
      expect(result.code).toBe(1);
      // The text on stderr stays, for whoever watches the terminal.
      expect(result.stderr).toMatch(/^error \[[A-Z_]+\]: /m);
    }
  });

  it('should print indicator columns and the feature matrix as CSV', async () => {
    const csv = join(projectRoot(), 'data', 'SPX_1d.csv');
    const indicators = await runCliProcess(['indicators', csv, '--indicator', 'rsi:period=14', '--indicator', 'macd:fast=12,slow=26,signal=9'], env);
    const lines = indicators.stdout.trim().split('\n');
    expect(lines[0]).toBe('timestamp,rsi_14,macd_12_26_9.line,macd_12_26_9.signal,macd_12_26_9.histogram');
    expect(lines[1]).toBe('2000-01-03T00:00:00Z,,,,');
    expect(lines[15].split(',')[1]).not.toBe('');
    const out = join(root, 'features.csv');
    const features = await runCliProcess(['features', 'spx_rsi_test', '--out', out], env);
    expect(features.code).toBe(0);
    const rows = (await readFile(out, 'utf8')).trim().split('\n');
    expect(rows[0]).toBe('timestamp,symbol,1d_rsi_zone_oversold,1d_rsi_zone_neutral,1d_rsi_zone_overbought,label');
    expect(rows.length - 1).toBe(2516);
    expect(rows[1]).toMatch(/^2010-01-04T00:00:00Z,SPX,[0-9.e-]+,[0-9.e-]+,[0-9.e-]+,[012]$/);
  });
});
