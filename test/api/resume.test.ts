import { createHash } from 'node:crypto';
import { access, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OperationMetricsSchema, OperationLogsSchema, OperationSchema } from '../../src/contracts/operations.js';
import { spxStrategy, waitFor } from '../helpers/strategies.js';
import { errorCode, startTestBackend, startTraining, type TestBackend } from '../helpers/test-backend.js';

const EPOCHS = 300;
/** Long enough to cancel in the middle (a few ms per epoch), with a checkpoint every five epochs. */
const RESUMABLE = spxStrategy('api_resumable', { epochs: EPOCHS, earlyStopping: false }).replace(
  '  batch_size: 32\n',
  '  batch_size: 32\n  checkpoint: {every_epochs: 5, every_seconds: 3600}\n',
);

describe('backend API: resuming trainings from checkpoints', () => {
  let server: TestBackend;

  beforeAll(async () => {
    server = await startTestBackend({ api_resumable: RESUMABLE });
  });
  afterAll(async () => server?.close());

  async function weightsSha256(version: number): Promise<string> {
    const bytes = await readFile(join(server.dirs.models, 'api_resumable', `v${version}`, 'weights.bin'));
    return createHash('sha256').update(bytes).digest('hex');
  }

  async function statusChanges(id: string): Promise<Record<string, unknown>[]> {
    const stream = await server.http('GET', `/api/v1/operations/${id}/events`);
    return stream.text
      .split('\n\n')
      .filter((block) => block.includes('event: status'))
      .map(
        (block) =>
          (
            JSON.parse(
              block
                .split('\n')
                .find((line) => line.startsWith('data: '))!
                .slice(6),
            ) as { data: Record<string, unknown> }
          ).data,
      );
  }

  async function epochsRecorded(id: string): Promise<number[]> {
    return OperationMetricsSchema.parse((await server.http('GET', `/api/v1/operations/${id}/metrics`)).body).epochs.map((m) => m.epoch);
  }

  it('should continue a cancelled run as the same operation and end bit-identical to an uninterrupted one', async () => {
    const reference = await startTraining(server, { strategy_name: 'api_resumable' });
    const referenceDone = await server.waitForStatus(reference, ['completed', 'failed'], 120_000);
    expect(referenceDone.status).toBe('completed');

    const id = await startTraining(server, { strategy_name: 'api_resumable' });
    await waitFor(async () => ((await server.operation(id)).progress?.epoch ?? 0) >= 12 || undefined, 'epoch 12', 120_000);
    expect((await server.http('DELETE', `/api/v1/operations/${id}`, { json: {} })).status).toBe(202);
    const cancelled = await server.waitForStatus(id, ['cancelled', 'completed']);
    expect(cancelled.status).toBe('cancelled');

    const resumed = await server.http('POST', `/api/v1/operations/${id}/resume`);
    expect(resumed.status).toBe(200);
    expect(OperationSchema.parse(resumed.body)).toMatchObject({ operation_id: id, status: 'running', error: null, finished_at: null });
    const done = await server.waitForStatus(id, ['completed', 'failed', 'cancelled'], 120_000);
    expect(done.status).toBe('completed');

    expect(await weightsSha256(done.result!.model_version as number)).toBe(await weightsSha256(referenceDone.result!.model_version as number));
    expect(await epochsRecorded(id)).toEqual(Array.from({ length: EPOCHS }, (_, i) => i + 1));
    const logs = OperationLogsSchema.parse((await server.http('GET', `/api/v1/operations/${id}/logs`)).body).lines.map((l) => l.msg);
    expect(logs.some((line) => /^Resuming from checkpoint at epoch \d+\/300$/.test(line))).toBe(true);

    const changes = await statusChanges(id);
    expect(changes.map((c) => `${String(c.from)}→${String(c.to)}`)).toEqual([
      'null→pending',
      'pending→running',
      'running→cancelling',
      'cancelling→cancelled',
      'cancelled→running',
      'running→completed',
    ]);
    expect(changes[4]).toMatchObject({
      resumed: { epoch: expect.any(Number), total_epochs: EPOCHS },
      reason: expect.stringMatching(/^resumed on request/),
    });
    // The checkpoints of a completed run are gone; a completed run stays completed.
    await expect(access(join(server.dirs.home, 'checkpoints', id))).rejects.toMatchObject({ code: 'ENOENT' });
    const again = await server.http('POST', `/api/v1/operations/${id}/resume`);
    expect([again.status, errorCode(again)]).toEqual([409, 'OPERATION_FINISHED']);
  });

  it('should refuse a run without a checkpoint with 409 NO_CHECKPOINT, and an unknown id with 404', async () => {
    const id = await startTraining(server, { strategy_name: 'api_resumable' });
    await server.http('DELETE', `/api/v1/operations/${id}`, { json: {} });
    await server.waitForStatus(id, ['cancelled', 'completed']);
    // Whether or not it got to its first checkpoint: without its checkpoint files (purged), it cannot be resumed.
    await rm(join(server.dirs.home, 'checkpoints', id), { recursive: true, force: true });
    const refused = await server.http('POST', `/api/v1/operations/${id}/resume`);
    expect([refused.status, errorCode(refused)]).toEqual([409, 'NO_CHECKPOINT']);
    expect((await server.operation(id)).status).toBe('cancelled');
    const unknown = await server.http('POST', '/api/v1/operations/op_training_nope/resume');
    expect([unknown.status, errorCode(unknown)]).toEqual([404, 'OPERATION_NOT_FOUND']);
  });
});
