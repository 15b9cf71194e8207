import { execFileSync } from 'node:child_process';
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ModelListSchema } from '../../src/contracts/models.js';
import type { OperationResponse } from '../../src/contracts/operations.js';
import { DATA_DIR, spxStrategy, tempDirs, waitFor, type TempDirs } from '../helpers/strategies.js';
import { runCliProcess } from '../helpers/cli-process.js';
import { api, operation, startServerProcess, type ServerProcess } from '../helpers/server-process.js';

/** A tmpfs needs root (CAP_SYS_ADMIN); CI and the development machines run as root, elsewhere that case is skipped. */
function canMount(): boolean {
  if (process.getuid?.() !== 0) return false;
  try {
    execFileSync('mount', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

describe('ktrdr serve: a model that cannot be saved is kept, then saved exactly once', () => {
  let dirs: TempDirs;
  const servers: ServerProcess[] = [];
  let mounted: string | undefined;

  beforeAll(async () => {
    dirs = await tempDirs({ save_blocked: spxStrategy('save_blocked'), save_full: spxStrategy('save_full') });
  });
  afterAll(async () => {
    for (const server of servers) if (server.child.exitCode === null) server.child.kill('SIGKILL');
    if (mounted !== undefined) execFileSync('umount', [mounted]);
    await dirs?.remove();
  });

  const env = (extra: Record<string, string>): Record<string, string> => ({
    KTRDR_HOME: dirs.home,
    KTRDR_MODELS_DIR: dirs.models,
    KTRDR_STRATEGIES_DIR: dirs.strategies,
    KTRDR_DATA_DIR: DATA_DIR,
    ...extra,
  });

  const finished = (server: ServerProcess, id: string): Promise<OperationResponse> =>
    waitFor(async () => {
      const op = await operation(server, id);
      return ['completed', 'failed', 'cancelled'].includes(op.status) ? op : undefined;
    }, `operation ${id} to end`);

  const versionsOf = async (server: ServerProcess, strategy: string) =>
    ModelListSchema.parse((await api(server, 'GET', `/models?strategy=${strategy}`)).body).data;

  it('should fail MODEL_SAVE_FAILED on a broken models directory, keep the model, and save it once with `ktrdr ops save`', async () => {
    // A file where the strategy's model directory should be: every write below it fails (for root too).
    await mkdir(dirs.models, { recursive: true });
    await writeFile(join(dirs.models, 'save_blocked'), 'not a directory');
    const server = await startServerProcess(env({ KTRDR_SAVE_RETRY_MS: '3600000' }));
    servers.push(server);
    const started = (await api(server, 'POST', '/trainings/start', { strategy_name: 'save_blocked' })).body as { operation_id: string };
    const id = started.operation_id;

    const failed = await finished(server, id);
    expect(failed).toMatchObject({ status: 'failed', error: { code: 'MODEL_SAVE_FAILED' }, result: null });
    expect(failed.error?.message).toContain('kept in');
    expect(await readdir(join(dirs.home, 'kept-models'))).toEqual([`${id}.artifact.json.gz`]);

    // Still blocked: the save is refused with the same code and the model stays kept.
    const early = await runCliProcess(['ops', 'save', id, '--server', server.url]);
    expect(early.code).not.toBe(0);
    expect(early.stderr).toContain('MODEL_SAVE_FAILED');
    expect(await readdir(join(dirs.home, 'kept-models'))).toHaveLength(1);

    await rm(join(dirs.models, 'save_blocked'));
    const saved = await runCliProcess(['ops', 'save', id, '--server', server.url]);
    expect(saved.stdout).toContain(`Saved save_blocked v1 for operation ${id}`);
    expect(saved.code).toBe(0);
    const after = await operation(server, id);
    expect(after).toMatchObject({ status: 'failed', error: { code: 'MODEL_SAVE_FAILED' }, result: { model_version: 1, recovered: true } });
    const logs = (await api(server, 'GET', `/operations/${id}/logs`)).body as { lines: { msg: string }[] };
    expect(logs.lines.map((line) => line.msg)).toContain('Saved the kept model after [MODEL_SAVE_FAILED]: save_blocked v1');

    // Exactly once: asking again answers with the same version, and there is one model version for the operation.
    const again = await runCliProcess(['ops', 'save', id, '--server', server.url, '--json']);
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ operation_id: id, result: { model_version: 1 } });
    expect(await versionsOf(server, 'save_blocked')).toEqual([expect.objectContaining({ version: 1, operation_id: id })]);
    expect(await readdir(join(dirs.home, 'kept-models'))).toEqual([]);

    const unknown = await api(server, 'POST', `/operations/${id}x/save`);
    expect(unknown).toMatchObject({ status: 404, body: { error: { code: 'OPERATION_NOT_FOUND' } } });
    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);
  });

  it.skipIf(!canMount())('should fail STORAGE_FULL on a full disk and save the model by itself once space is back', async () => {
    const full = join(dirs.root, 'full-models');
    await mkdir(full, { recursive: true });
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', full]);
    mounted = full;
    // Fill it: the model's files cannot fit any more.
    await writeFile(join(full, 'filler'), Buffer.alloc(60 * 1024)).catch(() => undefined);
    const server = await startServerProcess(env({ KTRDR_MODELS_DIR: full, KTRDR_SAVE_RETRY_MS: '200' }));
    servers.push(server);
    const started = (await api(server, 'POST', '/trainings/start', { strategy_name: 'save_full' })).body as { operation_id: string };
    const id = started.operation_id;

    const failed = await finished(server, id);
    expect(failed).toMatchObject({ status: 'failed', error: { code: 'STORAGE_FULL' } });
    expect(await versionsOf(server, 'save_full')).toEqual([]);

    // Space comes back: the server's retry saves the kept model, once.
    execFileSync('mount', ['-o', 'remount,size=8m', full]);
    await rm(join(full, 'filler'));
    const recovered = await waitFor(async () => {
      const op = await operation(server, id);
      return op.result?.model_version === 1 ? op : undefined;
    }, 'the kept model to be saved');
    expect(recovered).toMatchObject({ status: 'failed', error: { code: 'STORAGE_FULL' }, result: { recovered: true } });
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect(await versionsOf(server, 'save_full')).toEqual([expect.objectContaining({ version: 1, operation_id: id })]);
    expect(await readdir(join(dirs.home, 'kept-models'))).toEqual([]);
    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);
  });
});
