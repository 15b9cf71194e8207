import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HostListSchema } from '../../src/contracts/hosts.js';
import { ModelListSchema } from '../../src/contracts/models.js';
import { OperationLogsSchema, OperationMetricsSchema } from '../../src/contracts/operations.js';
import { runCliProcess } from '../helpers/cli-process.js';
import { HOST_TOKEN, startHostProcess, type HostProcess } from '../helpers/host-process.js';
import { DATA_DIR, spxStrategy, tempDirs, waitFor, type TempDirs } from '../helpers/strategies.js';
import { api, operation, startServerProcess, type ServerProcess } from '../helpers/server-process.js';

/** `ktrdr serve` and `ktrdr host` as real processes: a backend killed mid-run, restarted, and the CLI's view of hosts. */
describe('ktrdr serve with a training host: restart and CLI', () => {
  let dirs: TempDirs;
  let host: HostProcess;
  let env: Record<string, string>;
  const servers: ServerProcess[] = [];

  beforeAll(async () => {
    host = await startHostProcess();
    dirs = await tempDirs({
      // About 1 ms per epoch: still training on the host when the restarted backend comes up.
      rr_medium: spxStrategy('rr_medium', { epochs: 4000, earlyStopping: false }),
      rr_tiny: spxStrategy('rr_tiny'),
    });
    env = {
      KTRDR_HOME: dirs.home,
      KTRDR_MODELS_DIR: dirs.models,
      KTRDR_STRATEGIES_DIR: dirs.strategies,
      KTRDR_DATA_DIR: DATA_DIR,
      KTRDR_HOSTS: host.url,
      KTRDR_HOST_TOKEN: HOST_TOKEN,
      KTRDR_HOST_PUSH_GRACE_MS: '500',
    };
  });
  afterAll(async () => {
    for (const server of servers) if (server.child.exitCode === null) server.child.kill('SIGKILL');
    await host?.kill();
    await dirs?.remove();
  });

  it('should re-attach to a run on the host after the backend was killed, and save its model', async () => {
    const first = await startServerProcess(env);
    servers.push(first);
    const started = await api(first, 'POST', '/trainings/start', { strategy_name: 'rr_medium', execution_mode: 'host' });
    expect(started.status).toBe(202);
    const id = (started.body as { operation_id: string }).operation_id;
    await waitFor(async () => ((await operation(first, id)).progress?.epoch ?? 0) >= 2 || undefined, 'the run to train on the host');

    first.child.kill('SIGKILL');
    expect(await first.exited).toBeNull();

    const second = await startServerProcess(env);
    servers.push(second);
    const reattached = await operation(second, id);
    expect(reattached.status).toBe('running');
    const epochAtRestart = reattached.progress?.epoch ?? 0;
    const done = await waitFor(
      async () => {
        const op = await operation(second, id);
        return ['completed', 'failed', 'cancelled'].includes(op.status) ? op : undefined;
      },
      'the re-attached run',
      // A generous bound: this checks that the run finishes and is saved, not how fast a loaded machine trains.
      90_000,
    );
    expect(done).toMatchObject({ status: 'completed', result: { model_version: 1 }, execution: { selected: 'host', host: host.url } });
    // Epochs kept flowing after the restart, relayed by the new process, each exactly once.
    const metrics = OperationMetricsSchema.parse((await api(second, 'GET', `/operations/${id}/metrics`)).body);
    expect(epochAtRestart).toBeLessThan(4000);
    expect(metrics.epochs.map((m) => m.epoch)).toEqual(Array.from({ length: 4000 }, (_, i) => i + 1));
    const models = ModelListSchema.parse((await api(second, 'GET', '/models?strategy=rr_medium')).body);
    expect(models.data).toEqual([expect.objectContaining({ version: 1, operation_id: id })]);
    // The event cursor was journaled: nothing was relayed twice across the restart.
    const logs = OperationLogsSchema.parse((await api(second, 'GET', `/operations/${id}/logs?level=info`)).body);
    expect(logs.lines.filter((line) => line.msg.startsWith('Step ')).map((line) => line.msg)).toHaveLength(12);
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
  }, 150_000);

  it('should show the hosts, and where a `train --server --mode host` run went and why', async () => {
    const server = await startServerProcess(env);
    servers.push(server);
    await waitFor(async () => {
      const list = HostListSchema.parse((await api(server, 'GET', '/hosts')).body);
      return list.data[0]?.status === 'healthy' ? true : undefined;
    }, 'the host to be checked');

    const hosts = await runCliProcess(['hosts', 'list', '--server', server.url], {});
    expect(hosts.code).toBe(0);
    expect(hosts.stdout).toMatch(/^URL\s+NAME\s+STATUS\s+DEVICE\s+BUSY\s+LAST SEEN$/m);
    expect(hosts.stdout).toContain(host.url);
    expect(hosts.stdout).toMatch(/healthy\s+cpu /);
    expect(hosts.stdout).toMatch(/idle 0\/1/);

    const train = await runCliProcess(['train', 'rr_tiny', '--server', server.url, '--mode', 'host'], {});
    expect(train.code).toBe(0);
    expect(train.stdout).toMatch(/^Started training: op_training_\S+$/m);
    expect(train.stdout).toContain(`Execution: host ${host.url} (device cpu`);
    expect(train.stdout).toMatch(/^Completed: model rr_tiny v1/m);
    expect(train.stdout).toMatch(
      new RegExp(
        `^Ran on host ${host.url.replace(/[.]/g, '\\.')} \\(device cpu.*\\): host requested: ${host.url.replace(/[.]/g, '\\.')} \\(cpu`,
        'm',
      ),
    );
    const id = /Started training: (\S+)/.exec(train.stdout)![1];

    const show = await runCliProcess(['ops', 'show', id, '--server', server.url], {});
    expect(show.stdout).toContain(`Execution  host ${host.url} (device cpu`);
    expect(show.stdout).toMatch(/requested host\n\s+host requested: http:\/\/127\.0\.0\.1:\d+ \(cpu .*, 1\/1 slots free\)/);

    // A local run names its device and reason the same way.
    const local = await runCliProcess(['train', 'rr_tiny', '--server', server.url, '--mode', 'local'], {});
    expect(local.stdout).toMatch(/^Ran on local \(device cpu.*\): local execution requested$/m);
    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);
  });
});
