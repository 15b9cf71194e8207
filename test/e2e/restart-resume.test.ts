import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ModelListSchema } from '../../src/contracts/models.js';
import { OperationMetricsSchema, type OperationResponse } from '../../src/contracts/operations.js';
import { SeededRandom } from '../../src/util/random.js';
import { DATA_DIR, spxStrategy, tempDirs, waitFor, type TempDirs } from '../helpers/strategies.js';
import { api, operation, startServerProcess, type ServerProcess } from '../helpers/server-process.js';

/** Kill/restart cycles of the long test; `KTRDR_E2E_KILL_CYCLES=20` runs the full acceptance scenario. */
const KILL_CYCLES = Number(process.env.KTRDR_E2E_KILL_CYCLES ?? 6);
const TERMINAL = ['completed', 'failed', 'cancelled'];
/** Each cycle starts a server process: seconds each on a busy machine, so the default minute is not enough. */
const TEST_TIMEOUT_MS = 60_000 + KILL_CYCLES * 30_000;

/** A few ms per epoch with a checkpoint every five: a kill at any moment costs at most five epochs. */
function resumable(name: string, epochs: number): string {
  return spxStrategy(name, { epochs, earlyStopping: false }).replace(
    '  batch_size: 32\n',
    '  batch_size: 32\n  checkpoint: {every_epochs: 5, every_seconds: 300}\n',
  );
}

type EpochMetrics = Record<string, unknown>;

describe('ktrdr serve: kill -9 during a run, restart, resume from the checkpoint', () => {
  let dirs: TempDirs;
  let env: Record<string, string>;
  let server: ServerProcess | undefined;
  const started: ServerProcess[] = [];
  const random = new SeededRandom(Number(process.env.KTRDR_E2E_SEED ?? Date.now() % 1_000_000));

  beforeAll(async () => {
    dirs = await tempDirs({ resume_short: resumable('resume_short', 200), resume_long: resumable('resume_long', 600) });
    env = {
      KTRDR_HOME: dirs.home,
      KTRDR_MODELS_DIR: dirs.models,
      KTRDR_STRATEGIES_DIR: dirs.strategies,
      KTRDR_DATA_DIR: DATA_DIR,
      KTRDR_LOCAL_CONCURRENCY: '2',
    };
  });
  afterAll(async () => {
    for (const each of started) if (each.child.exitCode === null) each.child.kill('SIGKILL');
    await dirs?.remove();
  });

  async function start(): Promise<ServerProcess> {
    server = await startServerProcess(env);
    started.push(server);
    return server;
  }

  async function killHard(): Promise<void> {
    server!.child.kill('SIGKILL');
    await server!.exited;
  }

  async function train(strategy: string): Promise<string> {
    return ((await api(server!, 'POST', '/trainings/start', { strategy_name: strategy })).body as { operation_id: string }).operation_id;
  }

  async function finished(id: string): Promise<OperationResponse> {
    return waitFor(
      async () => {
        const op = await operation(server!, id);
        return TERMINAL.includes(op.status) ? op : undefined;
      },
      `${id} to finish`,
      180_000,
    );
  }

  async function epochOf(id: string): Promise<number> {
    return (await operation(server!, id)).progress?.epoch ?? 0;
  }

  async function metrics(id: string): Promise<EpochMetrics[]> {
    const body = OperationMetricsSchema.parse((await api(server!, 'GET', `/operations/${id}/metrics`)).body);
    return body.epochs.map(({ duration_ms: _wallTime, ...rest }) => rest);
  }

  async function weightsSha256(strategy: string, version: number): Promise<string> {
    return createHash('sha256')
      .update(await readFile(join(dirs.models, strategy, `v${version}`, 'weights.bin')))
      .digest('hex');
  }

  /** Trains `strategy` once without interruption: the run every interrupted one must match. */
  async function reference(strategy: string): Promise<{ sha256: string; metrics: EpochMetrics[] }> {
    const id = await train(strategy);
    const done = await finished(id);
    expect(done.status).toBe('completed');
    return { sha256: await weightsSha256(strategy, done.result!.model_version as number), metrics: await metrics(id) };
  }

  it(
    'should resume a run killed at a random moment and end with the same weights and per-epoch history',
    async () => {
      await start();
      const expected = await reference('resume_short');

      const id = await train('resume_short');
      const killAt = 10 + random.nextInt(150);
      await waitFor(async () => (await epochOf(id)) >= killAt || undefined, `epoch ${killAt}`, 120_000);
      await killHard();

      await start();
      const done = await finished(id);
      expect(done.status).toBe('completed');
      expect(await weightsSha256('resume_short', done.result!.model_version as number)).toBe(expected.sha256);
      expect(await metrics(id)).toEqual(expected.metrics);
      const logs = (await api(server!, 'GET', `/operations/${id}/logs`)).body as { lines: { msg: string }[] };
      expect(logs.lines.some((line) => /^Resuming from checkpoint at epoch \d+\/200$/.test(line.msg))).toBe(true);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    `should survive ${KILL_CYCLES} kill -9 / restart cycles: completed once, one model, epochs 1..N exactly once`,
    async () => {
      if (server === undefined) await start();
      const expected = await reference('resume_long');
      const id = await train('resume_long');
      // Past the first checkpoint: a run killed before it has nothing to resume from and stays failed (INTERRUPTED).
      await waitFor(async () => (await epochOf(id)) > 5 || undefined, 'the first checkpoint', 120_000);
      let kills = 0;
      for (let cycle = 0; cycle < KILL_CYCLES; cycle++) {
        // Training again (past where it resumed) before a kill at a random moment a little later, so every cycle
        // interrupts real work: at the start of an epoch, mid-epoch, while a checkpoint is written or recorded.
        const from = await epochOf(id);
        const op = await waitFor(
          async () => {
            const current = await operation(server!, id);
            return TERMINAL.includes(current.status) || (current.progress?.epoch ?? 0) > from ? current : undefined;
          },
          `training again after cycle ${cycle}`,
          120_000,
        );
        if (TERMINAL.includes(op.status)) break;
        await new Promise((resolve) => setTimeout(resolve, random.nextInt(150)));
        await killHard();
        kills++;
        await start();
      }
      const done = await finished(id);
      // 600 epochs outlast every cycle: each one interrupted the run, none found it finished.
      expect(kills).toBe(KILL_CYCLES);
      expect([done.status, done.error]).toEqual(['completed', null]);
      expect(await weightsSha256('resume_long', done.result!.model_version as number)).toBe(expected.sha256);
      const recorded = await metrics(id);
      expect(recorded.map((m) => m.epoch)).toEqual(Array.from({ length: 600 }, (_, i) => i + 1));
      expect(recorded).toEqual(expected.metrics);
      const models = ModelListSchema.parse((await api(server!, 'GET', '/models?strategy=resume_long')).body);
      expect(models.data.filter((m) => m.operation_id === id)).toHaveLength(1);
      server!.child.kill('SIGTERM');
      expect(await server!.exited).toBe(0);
    },
    TEST_TIMEOUT_MS,
  );
});
