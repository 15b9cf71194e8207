import { afterEach, describe, expect, it } from 'vitest';
import type { HostRunStatusBody } from '../../src/contracts/host-protocol.js';
import { spxStrategy } from '../helpers/strategies.js';
import { spxStartRequest, startTestHost, TOKEN, type TestHost } from '../helpers/host-harness.js';
import { BackendStub } from '../helpers/backend-stub.js';

const EPOCHS = 12;
/** A checkpoint every four epochs: the host pushes them at 4, 8 and 12. */
const STRATEGY = spxStrategy('host_resume_unit', { epochs: EPOCHS, earlyStopping: false }).replace(
  '  batch_size: 32\n',
  '  batch_size: 32\n  checkpoint: {every_epochs: 4, every_seconds: 300}\n',
);
/** Another strategy text: a checkpoint of STRATEGY is refused for it (CHECKPOINT_MISMATCH). */
const OTHER = STRATEGY.replace('hidden_layers: [', 'hidden_layers: [3, ');

type Events = HostRunStatusBody['events'];

function logLines(events: Events): { level: string; msg: string }[] {
  return events.filter((e) => e.kind === 'log').map((e) => e.data as { level: string; msg: string });
}

function epochsOf(events: Events): number[] {
  return events.filter((e) => e.kind === 'metric').map((e) => (e.data as { epoch: number }).epoch);
}

describe('a host resumes a run from the backend’s newest checkpoint', () => {
  let host: TestHost | undefined;
  let backend: BackendStub | undefined;
  afterEach(async () => {
    await host?.close();
    await backend?.close();
    host = backend = undefined;
  });

  /** Runs `id` to its end on the host and forgets it there (as the backend's acknowledgement does). */
  async function run(id: string, strategy: string): Promise<{ weights: string; events: Events }> {
    expect((await host!.client.start(await spxStartRequest(id, { callback_url: backend!.callbackUrl(id) }, strategy))).status).toBe(202);
    const { final, events } = await host!.client.waitUntilFinished(id, 60_000);
    expect(final).toMatchObject({ status: 'completed' });
    const weights = (await host!.client.result(id)).manifest.weights_sha256;
    expect((await host!.client.request('DELETE', `/training/${id}`)).status).toBe(204);
    return { weights, events };
  }

  it('should continue from the fetched checkpoint and end bit-identical, and train from epoch 1 when there is none', async () => {
    backend = await new BackendStub().start();
    host = await startTestHost({ checkpoints: true });
    const reference = await run('op-resume', STRATEGY);
    // The backend had none: fetched with the host token, then trained from the start.
    expect(backend.checkpointFetches).toEqual([{ id: 'op-resume', authorization: `Bearer ${TOKEN}` }]);
    expect(logLines(reference.events).some((l) => l.msg.startsWith('Resuming'))).toBe(false);
    expect(epochsOf(reference.events)).toEqual(Array.from({ length: EPOCHS }, (_, i) => i + 1));
    const pushed = backend.pushedCheckpoints.get('op-resume')!;
    expect(pushed.map((c) => c.epoch)).toEqual(expect.arrayContaining([4, 8]));

    // The same operation started again (a resume placed here, a redelivered job) with the epoch-8 state on the backend.
    backend.servedCheckpoints.set(
      'op-resume',
      pushed.find((c) => c.epoch === 8)!,
    );
    const resumed = await run('op-resume', STRATEGY);
    expect(logLines(resumed.events).map((l) => l.msg)).toContain(`Resuming from checkpoint at epoch 8/${EPOCHS}`);
    expect(resumed.weights).toBe(reference.weights);
    // Epochs 1-8 replayed from the checkpoint's history (the backend records each once), 9-12 trained.
    expect(epochsOf(resumed.events)).toEqual(epochsOf(reference.events));
  });

  it('should train from epoch 1 with a warning in the run log when the checkpoint is refused or damaged', async () => {
    backend = await new BackendStub().start();
    host = await startTestHost({ checkpoints: true });
    await run('op-refused', STRATEGY);
    const epoch8 = backend.pushedCheckpoints.get('op-refused')!.find((c) => c.epoch === 8)!;
    const fresh = await run('op-other', OTHER);

    // Another strategy text than the checkpoint's: the pipeline refuses it, and the run starts over.
    backend.servedCheckpoints.set('op-refused', epoch8);
    const refused = await run('op-refused', OTHER);
    const warnings = logLines(refused.events).filter((l) => l.level === 'warn');
    expect(warnings).toEqual([
      expect.objectContaining({ msg: expect.stringMatching(/^The checkpoint at epoch 8 cannot be used: .*; training from epoch 1 instead$/) }),
    ]);
    expect(refused.weights).toBe(fresh.weights);
    expect(epochsOf(refused.events)).toEqual(epochsOf(fresh.events));

    // Cut short on the way: never used.
    backend.servedCheckpoints.set('op-refused', { epoch: 8, bytes: epoch8.bytes.subarray(0, epoch8.bytes.length - 40) });
    const damaged = await run('op-refused', OTHER);
    expect(logLines(damaged.events).filter((l) => l.level === 'warn')).toEqual([
      expect.objectContaining({ msg: expect.stringMatching(/^Could not fetch the backend's checkpoint \(.*\); training from epoch 1$/) }),
    ]);
    expect(damaged.weights).toBe(fresh.weights);
  });
});
