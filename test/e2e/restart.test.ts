import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ModelListSchema } from '../../src/contracts/models.js';
import { StrategyListSchema } from '../../src/contracts/strategies.js';
import { DATA_DIR, longStrategy, spxStrategy, tempDirs, waitFor, type TempDirs } from '../helpers/strategies.js';
import { api, operation, startServerProcess, type ServerProcess } from '../helpers/server-process.js';

describe('ktrdr serve: restart during a run', () => {
  let dirs: TempDirs;
  let env: Record<string, string>;
  const started: ServerProcess[] = [];

  beforeAll(async () => {
    dirs = await tempDirs({ restart_tiny: spxStrategy('restart_tiny'), restart_long: longStrategy('restart_long') });
    env = {
      KTRDR_HOME: dirs.home,
      KTRDR_MODELS_DIR: dirs.models,
      KTRDR_STRATEGIES_DIR: dirs.strategies,
      KTRDR_DATA_DIR: DATA_DIR,
      KTRDR_LOCAL_CONCURRENCY: '2',
      // What happens without resuming (restart-resume.test.ts covers resuming from checkpoints).
      KTRDR_AUTO_RESUME: 'off',
    };
  });
  afterAll(async () => {
    for (const server of started) if (server.child.exitCode === null) server.child.kill('SIGKILL');
    await dirs?.remove();
  });

  it('should fail the killed run as INTERRUPTED and keep what finished before', async () => {
    const first = await startServerProcess(env);
    started.push(first);
    const tiny = (await api(first, 'POST', '/trainings/start', { strategy_name: 'restart_tiny' })).body as { operation_id: string };
    const tinyDone = await waitFor(async () => {
      const op = await operation(first, tiny.operation_id);
      return op.status === 'completed' ? op : undefined;
    }, 'the tiny run');
    expect(tinyDone.result?.model_version).toBe(1);

    const long = (await api(first, 'POST', '/trainings/start', { strategy_name: 'restart_long' })).body as { operation_id: string };
    await waitFor(async () => ((await operation(first, long.operation_id)).progress?.epoch ?? 0) >= 2 || undefined, 'the long run to train');

    first.child.kill('SIGKILL');
    expect(await first.exited).toBeNull();

    const second = await startServerProcess(env);
    started.push(second);
    // One server per home: a second one would fail this one's runs as INTERRUPTED.
    await expect(startServerProcess(env)).rejects.toThrow(/exited with 1[\s\S]*HOME_LOCKED/);
    const interrupted = await operation(second, long.operation_id);
    expect(interrupted.status).toBe('failed');
    expect(interrupted.error?.code).toBe('INTERRUPTED');

    const kept = await operation(second, tiny.operation_id);
    expect(kept).toMatchObject({ status: 'completed', result: { model_version: 1 } });
    expect(kept.result).toEqual(tinyDone.result);
    const models = ModelListSchema.parse((await api(second, 'GET', '/models')).body);
    expect(models.data).toEqual([expect.objectContaining({ strategy: 'restart_tiny', version: 1, operation_id: tiny.operation_id })]);
    const strategies = StrategyListSchema.parse((await api(second, 'GET', '/strategies')).body);
    expect(Object.fromEntries(strategies.data.map((s) => [s.name, s.training_status]))).toEqual({ restart_tiny: 'trained', restart_long: 'failed' });

    // The restarted server trains again, and a graceful stop exits cleanly.
    const again = (await api(second, 'POST', '/trainings/start', { strategy_name: 'restart_tiny', epochs: 1 })).body as { operation_id: string };
    await waitFor(async () => ((await operation(second, again.operation_id)).status === 'completed' ? true : undefined), 'a run after restart');
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
  });
});
