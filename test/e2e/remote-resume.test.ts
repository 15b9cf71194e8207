import { createHash } from 'node:crypto';
import { readFile, readdir, truncate } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { ErrorBodySchema } from '../../src/contracts/common.js';
import { OperationLogsSchema, OperationMetricsSchema, type OperationResponse } from '../../src/contracts/operations.js';
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
const ALL_EPOCHS = Array.from({ length: EPOCHS }, (_, i) => i + 1);
/** Two trainings of 300 epochs and a kill or cancel each: about 20 s on an idle machine, much more on a busy one. */
const TEST_TIMEOUT_MS = 240_000;

/** Checkpoint files in a store directory, newest epoch first. */
async function checkpointEpochs(dir: string): Promise<number[]> {
  return (await readdir(dir).catch(() => []))
    .map((name) => /^epoch-(\d+)\.ckpt$/.exec(name))
    .filter((match) => match !== null)
    .map((match) => Number(match[1]))
    .sort((a, b) => b - a);
}

describe('training on a host: checkpoints pushed to the backend outlive the host', () => {
  let host: HostProcess | undefined;
  let server: TestBackend | undefined;
  const others: HostProcess[] = [];
  afterEach(async () => {
    await server?.close();
    await host?.kill();
    for (const other of others.splice(0)) await other.kill();
    server = undefined;
    host = undefined;
  }, TEST_TIMEOUT_MS);

  async function weightsSha256(done: OperationResponse): Promise<string> {
    const version = done.result!.model_version as number;
    return createHash('sha256')
      .update(await readFile(join(server!.dirs.models, 'host_resume', `v${version}`, 'weights.bin')))
      .digest('hex');
  }

  async function epochsRecorded(id: string): Promise<number[]> {
    return OperationMetricsSchema.parse((await server!.http('GET', `/api/v1/operations/${id}/metrics`)).body).epochs.map((m) => m.epoch);
  }

  async function logLines(id: string): Promise<string[]> {
    return OperationLogsSchema.parse((await server!.http('GET', `/api/v1/operations/${id}/logs`)).body).lines.map((l) => l.msg);
  }

  /** The `status` events of the operation's SSE stream (it ends with the run). */
  async function statusChanges(id: string): Promise<Record<string, unknown>[]> {
    const stream = await server!.http('GET', `/api/v1/operations/${id}/events`);
    return stream.text
      .split('\n\n')
      .filter((block) => block.includes('event: status'))
      .map((block) => {
        const data = block.split('\n').find((line) => line.startsWith('data: '))!;
        return (JSON.parse(data.slice(6)) as { data: Record<string, unknown> }).data;
      });
  }

  /** The same training run locally to its end: what a resumed run must match bit for bit. */
  async function completedLocalReference(): Promise<OperationResponse> {
    const reference = await startTraining(server!, { strategy_name: 'host_resume', execution_mode: 'local' });
    const done = await server!.waitForStatus(reference, TERMINAL, 120_000);
    expect(done.status).toBe('completed');
    return done;
  }

  /** Waits until the backend holds at least `count` checkpoints the host pushed for `id`; answers their directory. */
  async function pushed(id: string, count: number): Promise<string> {
    const dir = join(server!.dirs.home, 'checkpoints', id);
    await waitFor(async () => (await checkpointEpochs(dir)).length >= count || undefined, `${count} checkpoints pushed by the host`, 120_000);
    return dir;
  }

  it(
    'should resume a run whose host was killed from the checkpoint it pushed, bit-identical to an uninterrupted run',
    async () => {
      host = await startHostProcess();
      // Resumed by hand here, after damaging its newest checkpoint (the next test lets the backend resume it).
      server = await startTestBackend(
        { host_resume: STRATEGY },
        { hosts: { hosts: [host.url], token: HOST_TOKEN, run: { lostAfterMs: 1500 } }, autoResume: false },
      );
      const referenceDone = await completedLocalReference();

      const id = await startTraining(server, { strategy_name: 'host_resume', execution_mode: 'host' });
      const dir = await pushed(id, 2);
      // Killed at a moment that depends on how fast it trains, somewhere after its second pushed checkpoint.
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 300));
      host.child.kill('SIGKILL');
      const lost = await server.waitForStatus(id, TERMINAL, 60_000);
      expect(lost).toMatchObject({ status: 'failed', error: { code: 'HOST_LOST' }, execution: { selected: 'host' } });

      // The newest pushed file cut short (a disk that filled up): it is refused and the previous one is used.
      const [newest, previous] = await checkpointEpochs(dir);
      await truncate(join(dir, `epoch-${String(newest).padStart(6, '0')}.ckpt`), 100);

      const resumed = await server.http('POST', `/api/v1/operations/${id}/resume`);
      expect(resumed.status).toBe(200);
      expect(resumed.body).toMatchObject({ status: 'running', execution: { selected: 'local' } });
      const done = await server.waitForStatus(id, TERMINAL, 120_000);
      expect(done.status).toBe('completed');
      expect(await weightsSha256(done)).toBe(await weightsSha256(referenceDone));
      expect(await epochsRecorded(id)).toEqual(ALL_EPOCHS);
      expect(await logLines(id)).toContain(`Resuming from checkpoint at epoch ${previous}/${EPOCHS}`);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'should resume a run lost with its host by itself, with the reason recorded, bit-identical to an uninterrupted run',
    async () => {
      host = await startHostProcess();
      server = await startTestBackend(
        { host_resume: STRATEGY },
        { hosts: { hosts: [host.url], token: HOST_TOKEN, run: { lostAfterMs: 1500 } }, autoResume: true },
      );
      const referenceDone = await completedLocalReference();

      const id = await startTraining(server, { strategy_name: 'host_resume', execution_mode: 'host' });
      await pushed(id, 1);
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 300));
      host.child.kill('SIGKILL');
      const done = await server.waitForStatus(id, ['completed'], 120_000);
      expect(done.execution).toMatchObject({
        selected: 'local',
        reason: expect.stringMatching(/^resumed here from the checkpoint at epoch \d+\/300$/),
      });
      expect(await weightsSha256(done)).toBe(await weightsSha256(referenceDone));
      expect(await epochsRecorded(id)).toEqual(ALL_EPOCHS);

      const changes = await statusChanges(id);
      expect(changes.map((c) => `${String(c.from)}→${String(c.to)}`)).toEqual([
        'null→pending',
        'pending→running',
        'running→failed',
        'failed→running',
        'running→completed',
      ]);
      expect(changes[3]).toMatchObject({ reason: expect.stringMatching(/^resumed after its host was lost, from the checkpoint at epoch \d+\/300$/) });
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'should resume a run whose host restarted without it (same address) from the checkpoint it pushed',
    async () => {
      const first = await startHostProcess();
      host = first;
      server = await startTestBackend({ host_resume: STRATEGY }, { hosts: { hosts: [first.url], token: HOST_TOKEN }, autoResume: true });
      const referenceDone = await completedLocalReference();

      const id = await startTraining(server, { strategy_name: 'host_resume', execution_mode: 'host' });
      await pushed(id, 1);
      first.child.kill('SIGKILL');
      await first.kill();
      // Back at the same address well before it would count as silent for too long, knowing nothing of the run.
      host = await startHostProcess({ port: Number(new URL(first.url).port) });
      const done = await server.waitForStatus(id, ['completed'], 120_000);
      // Resumed here, or on the restarted host if it was healthy again by then: the same weights either way.
      expect(['local', 'host']).toContain(done.execution.selected);
      expect(await weightsSha256(done)).toBe(await weightsSha256(referenceDone));
      expect(await epochsRecorded(id)).toEqual(ALL_EPOCHS);
      const changes = await statusChanges(id);
      expect(changes[2]).toMatchObject({
        from: 'running',
        to: 'failed',
        error: { code: 'HOST_LOST', message: expect.stringMatching(/no longer knows run/) },
      });
      expect(changes[3]).toMatchObject({ from: 'failed', to: 'running', reason: expect.stringMatching(/^resumed after its host was lost/) });
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'should resume a cancelled host run from its pushed checkpoint, bit-identical to a run completed on the host',
    async () => {
      host = await startHostProcess();
      server = await startTestBackend({ host_resume: STRATEGY }, { hosts: { hosts: [host.url], token: HOST_TOKEN } });
      const reference = await startTraining(server, { strategy_name: 'host_resume', execution_mode: 'host' });
      const referenceDone = await server.waitForStatus(reference, TERMINAL, 120_000);
      expect(referenceDone).toMatchObject({ status: 'completed', execution: { selected: 'host' } });
      // A completed run's checkpoints are gone from both copies (the backend's just after it recorded the completion).
      expect(await checkpointEpochs(join(host.cacheDir, 'checkpoints', reference))).toEqual([]);
      const backendCopy = join(server.dirs.home, 'checkpoints', reference);
      await waitFor(async () => (await checkpointEpochs(backendCopy)).length === 0 || undefined, 'the completed run’s checkpoints removed', 10_000);

      const id = await startTraining(server, { strategy_name: 'host_resume', execution_mode: 'host' });
      const dir = await pushed(id, 1);
      expect((await server.http('DELETE', `/api/v1/operations/${id}`, { json: {} })).status).toBe(202);
      expect((await server.waitForStatus(id, TERMINAL, 60_000)).status).toBe('cancelled');
      // The state saved on the way out is pushed too (just after the host reported the cancel, so as not to hold it
      // up): the backend's newest becomes the host's newest.
      const hostCopy = await checkpointEpochs(join(host.cacheDir, 'checkpoints', id));
      expect(hostCopy.length).toBeGreaterThan(0);
      await waitFor(async () => (await checkpointEpochs(dir))[0] === hostCopy[0] || undefined, 'the cancel checkpoint pushed', 10_000);

      expect((await server.http('POST', `/api/v1/operations/${id}/resume`)).status).toBe(200);
      const done = await server.waitForStatus(id, TERMINAL, 120_000);
      expect(done.status).toBe('completed');
      expect(await weightsSha256(done)).toBe(await weightsSha256(referenceDone));
      expect(await epochsRecorded(id)).toEqual(ALL_EPOCHS);
      expect(await logLines(id)).toContain(`Resuming from checkpoint at epoch ${hostCopy[0]}/${EPOCHS}`);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'should take a pushed checkpoint again for the same epoch, and refuse one without the token, damaged or of another epoch',
    async () => {
      host = await startHostProcess();
      server = await startTestBackend({ host_resume: STRATEGY }, { hosts: { hosts: [host.url], token: HOST_TOKEN } });
      const id = await startTraining(server, { strategy_name: 'host_resume', execution_mode: 'host' });
      const dir = await pushed(id, 1);
      expect((await server.http('DELETE', `/api/v1/operations/${id}`, { json: {} })).status).toBe(202);
      await server.waitForStatus(id, TERMINAL, 60_000);
      const [epoch] = await checkpointEpochs(dir);
      const file = join(dir, `epoch-${String(epoch).padStart(6, '0')}.ckpt`);
      const bytes = await readFile(file);

      const put = async (body: unknown, headers: Record<string, string> = { authorization: `Bearer ${HOST_TOKEN}` }) => {
        const response = await fetch(`${server!.url}/api/v1/operations/${id}/checkpoint`, {
          method: 'PUT',
          headers: { 'content-type': 'application/json', 'content-encoding': 'gzip', ...headers },
          body: gzipSync(JSON.stringify(body)),
        });
        return { status: response.status, body: (await response.json()) as unknown };
      };
      const again = await put({ epoch, checkpoint: bytes.toString('base64') });
      expect(again).toEqual({ status: 200, body: { operation_id: id, epoch, bytes: bytes.byteLength } });
      expect((await checkpointEpochs(dir))[0]).toBe(epoch);
      expect(await readFile(file)).toEqual(bytes);

      expect((await put({ epoch, checkpoint: bytes.toString('base64') }, {})).status).toBe(401);
      const damaged = await put({ epoch, checkpoint: bytes.subarray(0, bytes.length - 50).toString('base64') });
      expect([damaged.status, ErrorBodySchema.parse(damaged.body).error.code]).toEqual([422, 'CHECKPOINT_CORRUPT']);
      const otherEpoch = await put({ epoch: epoch + 1, checkpoint: bytes.toString('base64') });
      expect([otherEpoch.status, ErrorBodySchema.parse(otherEpoch.body).error.code]).toEqual([409, 'CHECKPOINT_MISMATCH']);
      expect(await readFile(file)).toEqual(bytes);

      // What a host resuming the run fetches: the newest file as stored, with the host token only.
      const get = async (opId: string, headers: Record<string, string> = { authorization: `Bearer ${HOST_TOKEN}` }) => {
        const response = await fetch(`${server!.url}/api/v1/operations/${opId}/checkpoint`, { headers });
        return { status: response.status, body: (await response.json()) as unknown };
      };
      expect(await get(id)).toEqual({ status: 200, body: { operation_id: id, epoch, checkpoint: bytes.toString('base64') } });
      expect((await get(id, {})).status).toBe(401);
      const local = await startTraining(server, { strategy_name: 'host_resume', execution_mode: 'local', epochs: 2 });
      await server.waitForStatus(local, TERMINAL, 60_000);
      const notHost = await get(local);
      expect([notHost.status, ErrorBodySchema.parse(notHost.body).error.code]).toEqual([409, 'NOT_A_HOST_RUN']);
      const fresh = await startTraining(server, { strategy_name: 'host_resume', execution_mode: 'host', epochs: 2 });
      await server.waitForStatus(fresh, TERMINAL, 60_000);
      const none = await get(fresh);
      expect([none.status, ErrorBodySchema.parse(none.body).error.code]).toEqual([409, 'NO_CHECKPOINT']);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'should resume a run lost with its host on another healthy host, which fetches the checkpoint: bit-identical',
    async () => {
      const first = await startHostProcess({ name: 'resume-a' });
      const second = await startHostProcess({ name: 'resume-b' });
      host = first;
      others.push(second);
      server = await startTestBackend(
        { host_resume: STRATEGY },
        { hosts: { hosts: [first.url, second.url], token: HOST_TOKEN, run: { lostAfterMs: 1500 } }, autoResume: true },
      );
      const referenceDone = await completedLocalReference();

      const id = await startTraining(server, { strategy_name: 'host_resume', execution_mode: 'host' });
      await pushed(id, 2);
      const startedOn = (await server.operation(id)).execution.host;
      const [killed, survivor] = startedOn === first.url ? [first, second] : [second, first];
      expect(killed.url).toBe(startedOn);
      killed.child.kill('SIGKILL');

      const done = await server.waitForStatus(id, ['completed'], 120_000);
      expect(done).toMatchObject({
        status: 'completed',
        execution: {
          selected: 'host',
          host: survivor.url,
          reason: expect.stringMatching(/^resumed on a training host from the checkpoint at epoch \d+\/300; /),
        },
      });
      expect(await weightsSha256(done)).toBe(await weightsSha256(referenceDone));
      expect(await epochsRecorded(id)).toEqual(ALL_EPOCHS);
      const changes = await statusChanges(id);
      expect(changes.map((c) => `${String(c.from)}→${String(c.to)}`)).toEqual([
        'null→pending',
        'pending→running',
        'running→failed',
        'failed→running',
        'running→completed',
      ]);
      const resumedAt = (changes[3]!.resumed as { epoch: number }).epoch;
      expect(resumedAt).toBeGreaterThan(0);
      expect(await logLines(id)).toContain(`Resuming from checkpoint at epoch ${resumedAt}/${EPOCHS}`);
    },
    TEST_TIMEOUT_MS,
  );
});
