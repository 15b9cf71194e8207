import { afterEach, describe, expect, it } from 'vitest';
import { ModelListSchema } from '../../src/contracts/models.js';
import { OperationLogsSchema } from '../../src/contracts/operations.js';
import { StrategyListSchema } from '../../src/contracts/strategies.js';
import { memoryLogger, startTestBackend, startTraining, type TestBackend } from '../helpers/test-backend.js';
import { HOST_TOKEN, startHostProcess, type HostProcess } from '../helpers/host-process.js';
import { longStrategy, spxStrategy, waitFor } from '../helpers/strategies.js';

const TERMINAL = ['completed', 'failed', 'cancelled'];
/** Nothing listens on the discard port: every push to it is refused at once. */
const DEAD_CALLBACK = 'http://127.0.0.1:9';

/** ~300 epochs at a few ms each: long enough to pause or kill a host mid-run, short enough to finish soon after. */
const MEDIUM = spxStrategy('fault_medium', { epochs: 300, earlyStopping: false });

/** Faults a real host process can be put through: a failing callback, a kill, a pause (SIGSTOP) and a resume. */
describe('training on a host: faults', () => {
  let host: HostProcess | undefined;
  let server: TestBackend | undefined;
  afterEach(async () => {
    await server?.close();
    await host?.kill();
    server = undefined;
    host = undefined;
  });

  async function epochs(id: string, atLeast: number): Promise<void> {
    await waitFor(async () => ((await server!.operation(id)).progress?.epoch ?? 0) >= atLeast || undefined, `${atLeast} epochs`, 20_000);
  }

  it('should still save the model, by pull, when the push to the callback fails', async () => {
    host = await startHostProcess();
    const log = memoryLogger();
    server = await startTestBackend(
      { fault_tiny: spxStrategy('fault_tiny') },
      { hosts: { hosts: [host.url], token: HOST_TOKEN, publicUrl: DEAD_CALLBACK, run: { pushGraceMs: 1000 } }, logger: log.logger },
    );
    const id = await startTraining(server, { strategy_name: 'fault_tiny', execution_mode: 'host' });
    const done = await server.waitForStatus(id, TERMINAL);
    expect(done).toMatchObject({ status: 'completed', result: { model_version: 1 }, execution: { selected: 'host' } });
    expect(log.messages()).toContain(`result of ${id} received from ${host.url} by pull`);
    const models = ModelListSchema.parse((await server.http('GET', '/api/v1/models?strategy=fault_tiny')).body);
    expect(models.data).toEqual([expect.objectContaining({ version: 1, operation_id: id })]);
  });

  it('should leave a host run running through a graceful backend stop, and finish it after the next start', async () => {
    host = await startHostProcess();
    const settings = { hosts: [host.url], token: HOST_TOKEN, run: { pushGraceMs: 300 } };
    server = await startTestBackend({ fault_detach: spxStrategy('fault_detach', { epochs: 1500, earlyStopping: false }) }, { hosts: settings });
    const dirs = server.dirs;
    const id = await startTraining(server, { strategy_name: 'fault_detach', execution_mode: 'host' });
    await epochs(id, 2);
    await server.backend.close();
    server = await startTestBackend({}, { hosts: settings, dirs });
    expect(server.backend.reattached.map((op) => [op.id, op.status])).toEqual([[id, 'running']]);
    // 1500 short epochs with a checkpoint every ten (written and pushed): well over the default wait on a busy machine.
    const done = await server.waitForStatus(id, TERMINAL, 150_000);
    expect(done).toMatchObject({ status: 'completed', result: { model_version: 1 } });
  }, 180_000);

  it('should fail a run whose host was killed with HOST_LOST within the configured bound', async () => {
    host = await startHostProcess();
    const lostAfterMs = 2000;
    server = await startTestBackend(
      { fault_long: longStrategy('fault_long') },
      // Not resumed from a pushed checkpoint (remote-resume.test.ts does that): the failure is what is measured here.
      { hosts: { hosts: [host.url], token: HOST_TOKEN, run: { lostAfterMs } }, autoResume: false },
    );
    const id = await startTraining(server, { strategy_name: 'fault_long', execution_mode: 'host' });
    await epochs(id, 2);
    host.child.kill('SIGKILL');
    const killedAt = performance.now();
    const done = await server.waitForStatus(id, TERMINAL, 20_000);
    const tookMs = performance.now() - killedAt;
    expect(done).toMatchObject({ status: 'failed', error: { code: 'HOST_LOST' } });
    expect(tookMs).toBeGreaterThanOrEqual(lostAfterMs - 200);
    // The bound: the configured time plus at most one poll interval and one request timeout.
    expect(tookMs).toBeLessThan(lostAfterMs + 2000);
  });

  it('should recover the model, pushed by a host that comes back after HOST_LOST, and keep the operation failed', async () => {
    host = await startHostProcess();
    // Without auto-resume (a lost run with a pushed checkpoint would continue here instead of waiting for its host).
    server = await startTestBackend(
      { fault_medium: MEDIUM },
      { hosts: { hosts: [host.url], token: HOST_TOKEN, run: { lostAfterMs: 1500 } }, autoResume: false },
    );
    const id = await startTraining(server, { strategy_name: 'fault_medium', execution_mode: 'host' });
    await epochs(id, 2);
    host.child.kill('SIGSTOP');
    const lost = await server.waitForStatus(id, TERMINAL, 10_000);
    expect(lost).toMatchObject({ status: 'failed', error: { code: 'HOST_LOST' }, result: null });
    host.child.kill('SIGCONT');

    const recovered = await waitFor(
      async () => {
        const op = await server!.operation(id);
        return op.result !== null ? op : undefined;
      },
      'the recovered model',
      20_000,
    );
    expect(recovered).toMatchObject({ status: 'failed', error: { code: 'HOST_LOST' }, result: { model_version: 1, recovered: true } });
    const models = ModelListSchema.parse((await server.http('GET', '/api/v1/models?strategy=fault_medium')).body);
    expect(models.data).toEqual([expect.objectContaining({ version: 1, operation_id: id })]);
    const strategies = StrategyListSchema.parse((await server.http('GET', '/api/v1/strategies')).body);
    expect(strategies.data.find((s) => s.name === 'fault_medium')).toMatchObject({ training_status: 'trained', latest_version: 1 });
    const logs = OperationLogsSchema.parse((await server.http('GET', `/api/v1/operations/${id}/logs?level=warn`)).body);
    expect(logs.lines.map((l) => l.msg)).toContain(`Recovered the model from ${host.url} after the host was lost: fault_medium v1`);
  });

  it('should recover the model by watching the host when the push cannot reach the backend', async () => {
    host = await startHostProcess();
    server = await startTestBackend(
      { fault_medium: MEDIUM },
      {
        hosts: { hosts: [host.url], token: HOST_TOKEN, publicUrl: DEAD_CALLBACK, run: { lostAfterMs: 1500, recoveryPollMs: 300 } },
        autoResume: false,
      },
    );
    const id = await startTraining(server, { strategy_name: 'fault_medium', execution_mode: 'host' });
    await epochs(id, 2);
    host.child.kill('SIGSTOP');
    await server.waitForStatus(id, TERMINAL, 10_000);
    host.child.kill('SIGCONT');
    const recovered = await waitFor(
      async () => {
        const op = await server!.operation(id);
        return op.result !== null ? op : undefined;
      },
      'the recovered model',
      20_000,
    );
    expect(recovered).toMatchObject({ status: 'failed', error: { code: 'HOST_LOST' }, result: { model_version: 1, recovered: true } });
    // Acknowledged after the save: the host forgot the run.
    await waitFor(
      async () =>
        (await fetch(`${host!.url}/training/${id}`, { headers: { authorization: `Bearer ${HOST_TOKEN}` } })).status === 404 ? true : undefined,
      'the acknowledgement',
    );
  });
});
