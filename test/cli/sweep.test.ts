import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SweepSchema } from '../../src/contracts/sweeps.js';
import { WalkForwardSchema } from '../../src/contracts/walkforwards.js';
import { projectRoot } from '../../src/util/package-info.js';
import { runCliProcess } from '../helpers/cli-process.js';
import { startServerProcess, type ServerProcess } from '../helpers/server-process.js';
import { spxStrategy } from '../helpers/strategies.js';

/** `ktrdr sweep` and `ktrdr walkforward` as real processes: embedded (no server) and against `ktrdr serve`. */
describe('ktrdr sweep / walkforward (real processes)', () => {
  let root: string;
  let env: Record<string, string>;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'ktrdr-sweep-'));
    await mkdir(join(root, 'strategies'));
    await writeFile(join(root, 'strategies', 'cli_sweep.yaml'), spxStrategy('cli_sweep', { epochs: 2 }));
    env = {
      KTRDR_DATA_DIR: join(projectRoot(), 'data'),
      KTRDR_STRATEGIES_DIR: join(root, 'strategies'),
      KTRDR_MODELS_DIR: join(root, 'models'),
      KTRDR_HOME: join(root, 'home'),
      KTRDR_LOCAL_CONCURRENCY: '2',
    };
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('should run a sweep from --param and a sweep file in this process and print the ranked table', async () => {
    const file = join(root, 'sweep.yaml');
    await writeFile(file, 'params:\n  model.hidden_layers: [[4], [6, 4]]\nseeds: [1, 2]\nobjective: val_accuracy\n');
    const text = await runCliProcess(['sweep', 'cli_sweep', '--file', file, '--param', 'training.learning_rate=0.001,0.01'], env, 120_000);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/ranked by val_accuracy \(higher is better, validation split\)/);
    expect(text.stdout).toMatch(/RANK\s+CONFIG\s+MODEL\.HIDDEN_LAYERS\s+TRAINING\.LEARNING_RATE\s+VAL_ACCURACY\s+SEEDS\s+FAILED/);
    expect(text.stdout).toMatch(/^1 \*\s+c\d\s+/m);
    expect(text.stdout.match(/ \d\.\d{4} ± \d\.\d{4}\s+2\/2\s+0$/gm)).toHaveLength(4);

    const json = await runCliProcess(['sweep', 'cli_sweep', '--param', 'training.learning_rate=0.002', '--seeds', '3', '--json'], env, 60_000);
    expect(json.code).toBe(0);
    const report = SweepSchema.parse(JSON.parse(json.stdout));
    expect(report).toMatchObject({ status: 'completed', total: 1, objective: 'val_loss', configurations: [{ rank: 1, completed: 1 }] });
  }, 240_000);

  it('should refuse an invalid value naming it, and a malformed --param', async () => {
    const invalid = await runCliProcess(['sweep', 'cli_sweep', '--param', 'training.learning_rate=0.01,-2'], env);
    expect(invalid.code).not.toBe(0);
    expect(invalid.stderr).toContain('STRATEGY_INVALID');
    expect(invalid.stderr).toContain('training.learning_rate=-2');
    const malformed = await runCliProcess(['sweep', 'cli_sweep', '--param', 'learning_rate'], env);
    expect(malformed.code).not.toBe(0);
    expect(malformed.stderr).toContain('--param must be path=value');
  });

  describe('with --server', () => {
    let server: ServerProcess;
    beforeAll(async () => {
      server = await startServerProcess({ ...env, KTRDR_HOME: join(root, 'server-home') });
    });
    afterAll(async () => {
      server?.child.kill('SIGTERM');
      await server?.exited;
    });

    it('should run the sweep on the server, show its children in ops list, and walk forward', async () => {
      const swept = await runCliProcess(
        ['sweep', 'cli_sweep', '--server', server.url, '--param', 'training.learning_rate=0.001,0.01', '--json'],
        env,
        60_000,
      );
      expect(swept.code).toBe(0);
      const report = SweepSchema.parse(JSON.parse(swept.stdout));
      expect(report.status).toBe('completed');
      const listed = await runCliProcess(['ops', 'list', '--server', server.url], env);
      const children = listed.stdout.split('\n').filter((line) => line.trimEnd().endsWith(report.operation_id));
      expect(children).toHaveLength(2);

      const equityOut = join(root, 'equity.csv');
      const walked = await runCliProcess(
        ['walkforward', 'cli_sweep', '--server', server.url, '--train', '4y', '--test', '2y', '--end', '2017-12-31', '--equity-out', equityOut],
        env,
        120_000,
      );
      expect(walked.code).toBe(0);
      expect(walked.stdout).toMatch(/^1\s+2010-01-01 \.\. 2013-12-31\s+2014-01-01 \.\. 2015-12-31\s+v\d+/m);
      // The last test period ends at the last bar of the range (2017-12-29 was the last trading day).
      expect(walked.stdout).toMatch(/^2\s+2012-01-01 \.\. 2015-12-31\s+2016-01-01 \.\. 2017-12-29\s+v\d+/m);
      expect(walked.stdout).toMatch(/Stitched out-of-sample: return -?\d+\.\d\d% \(buy-and-hold -?\d+\.\d\d%\)/);
      const csv = (await readFile(equityOut, 'utf8')).trim().split('\n');
      expect(csv[0]).toBe('timestamp,equity,buy_and_hold');
      expect(csv[1]).toMatch(/^2014-01-\d\dT00:00:00Z,1,1$/);
      const id = /Started walk-forward (op_\w+)/.exec(walked.stderr)![1];
      const json = await runCliProcess(['walkforward', 'cli_sweep', '--server', server.url, '--train', '10y', '--test', '1y', '--json'], env);
      expect(json.code).not.toBe(0);
      expect(JSON.parse(json.stdout.trim().split('\n').pop()!)).toMatchObject({ kind: 'error', error: { code: 'VALIDATION_FAILED' } });
      const fetched = WalkForwardSchema.parse(await (await fetch(`${server.url}/api/v1/walkforwards/${id}`)).json());
      expect(fetched.equity!.timestamps).toHaveLength(csv.length - 1);
    }, 240_000);
  });
});
