import { createHash } from 'node:crypto';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { OperationMetricsSchema } from '../../src/contracts/operations.js';
import { HOST_TOKEN, startHostProcess, type HostProcess } from '../helpers/host-process.js';
import { spxStrategy, waitFor } from '../helpers/strategies.js';
import { startTestBackend, startTraining, type TestBackend } from '../helpers/test-backend.js';

const TERMINAL = ['completed', 'failed', 'cancelled'];
const EPOCHS = 300;
/** A few ms per epoch, a checkpoint every five: the host pushes one to the backend every few tens of ms. */
const STRATEGY = spxStrategy('host_resume', { epochs: EPOCHS, earlyStopping: false }).replace(
  '  batch_size: 32\n',
  '  batch_size: 32\n  checkpoint: {every_epochs: 5, every_seconds: 300}\n',
);

describe('training on a host: checkpoints pushed to the backend outlive the host', () => {
  let host: HostProcess | undefined;
  let server: TestBackend | undefined;
  afterEach(async () => {
    await server?.close();
    await host?.kill();
    server = undefined;
    host = undefined;
  });

  async function weightsSha256(version: number): Promise<string> {
    return createHash('sha256')
      .update(await readFile(join(server!.dirs.models, 'host_resume', `v${version}`, 'weights.bin')))
      .digest('hex');
  }

  it('should resume a run whose host was killed from the checkpoint it pushed, bit-identical to an uninterrupted run', async () => {
    host = await startHostProcess();
    server = await startTestBackend({ host_resume: STRATEGY }, { hosts: { hosts: [host.url], token: HOST_TOKEN, run: { lostAfterMs: 1500 } } });
    const reference = await startTraining(server, { strategy_name: 'host_resume', execution_mode: 'local' });
    const referenceDone = await server.waitForStatus(reference, TERMINAL, 120_000);
    expect(referenceDone.status).toBe('completed');

    const id = await startTraining(server, { strategy_name: 'host_resume', execution_mode: 'host' });
    const checkpoints = join(server.dirs.home, 'checkpoints', id);
    await waitFor(
      async () => (await readdir(checkpoints).catch(() => [])).filter((name) => name.endsWith('.ckpt')).length >= 2 || undefined,
      'two checkpoints pushed by the host',
      120_000,
    );
    host.child.kill('SIGKILL');
    const lost = await server.waitForStatus(id, TERMINAL, 60_000);
    expect(lost).toMatchObject({ status: 'failed', error: { code: 'HOST_LOST' }, execution: { selected: 'host' } });

    const resumed = await server.http('POST', `/api/v1/operations/${id}/resume`);
    expect(resumed.status).toBe(200);
    expect(resumed.body).toMatchObject({ status: 'running', execution: { selected: 'local' } });
    const done = await server.waitForStatus(id, TERMINAL, 120_000);
    expect(done.status).toBe('completed');
    expect(await weightsSha256(done.result!.model_version as number)).toBe(await weightsSha256(referenceDone.result!.model_version as number));
    const recorded = OperationMetricsSchema.parse((await server.http('GET', `/api/v1/operations/${id}/metrics`)).body).epochs;
    expect(recorded.map((m) => m.epoch)).toEqual(Array.from({ length: EPOCHS }, (_, i) => i + 1));
  });

  it('should refuse a pushed checkpoint without the host token, or one that is damaged', async () => {
    host = await startHostProcess();
    server = await startTestBackend({ host_resume: STRATEGY }, { hosts: { hosts: [host.url], token: HOST_TOKEN } });
    const id = await startTraining(server, { strategy_name: 'host_resume', execution_mode: 'host' });
    const put = (body: unknown, headers: Record<string, string>) =>
      server!.http('PUT', `/api/v1/operations/${id}/checkpoint`, { json: body, headers });
    const bearer = { authorization: `Bearer ${HOST_TOKEN}` };
    expect((await put({ epoch: 5, checkpoint: 'AAAA' }, {})).status).toBe(401);
    const damaged = await put({ epoch: 5, checkpoint: Buffer.from('KTRDRCK1 but nothing else').toString('base64') }, bearer);
    expect([damaged.status, (damaged.body as { error: { code: string } }).error.code]).toEqual([422, 'CHECKPOINT_CORRUPT']);
  });
});
