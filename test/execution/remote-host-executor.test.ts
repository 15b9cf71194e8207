import { afterAll, describe, expect, it } from 'vitest';
import { HostClient } from '../../src/execution/remote/host-client.js';
import { RemoteHostExecutor } from '../../src/execution/remote/remote-host-executor.js';
import { describeExecutorConformance, job, RecordingObserver } from './executor.conformance.js';
import { HOST_TOKEN, startHostProcess, type HostProcess } from '../helpers/host-process.js';
import { longStrategy, spxStrategy, waitFor } from '../helpers/strategies.js';

/** One real `ktrdr host` process per concurrency, shared by the suite (starting one costs about half a second). */
const hosts = new Map<number, Promise<HostProcess>>();
function hostWith(concurrency: number): Promise<HostProcess> {
  let host = hosts.get(concurrency);
  if (host === undefined) {
    host = startHostProcess({ concurrency });
    hosts.set(concurrency, host);
  }
  return host;
}

afterAll(async () => {
  await Promise.all([...hosts.values()].map(async (host) => (await host).kill()));
});

async function executorOn(host: HostProcess, concurrency: number, token: string | undefined = HOST_TOKEN): Promise<RemoteHostExecutor> {
  const health = await new HostClient(host.url).health({ timeoutMs: 5000 });
  return new RemoteHostExecutor({ hostUrl: host.url, info: () => ({ device: health.device, capacity: concurrency }), token });
}

// The same suite as the local worker threads, against a real host process: no callback here, so results are pulled.
describeExecutorConformance(
  'RemoteHostExecutor',
  async ({ concurrency }) => {
    const executor = await executorOn(await hostWith(concurrency), concurrency);
    return { executor, dispose: () => executor.close() };
  },
  // A cancel travels to the host, which stops at its next batch; the next poll (100 ms apart while cancelling) sees it.
  { cancelWithinMs: 1000 },
);

describe(RemoteHostExecutor.name, () => {
  it('should fail a run with UNAUTHORIZED when the host refuses its token, and start nothing there', async () => {
    const host = await hostWith(1);
    const executor = await executorOn(host, 1, 'not-the-token');
    try {
      const observer = new RecordingObserver();
      const outcome = await executor.submit(job('op-badtoken', spxStrategy('remote_badtoken')), observer).outcome;
      expect(outcome).toMatchObject({ status: 'failed', error: { code: 'UNAUTHORIZED' } });
      expect(observer.starts).toEqual([]);
      const health = await new HostClient(host.url).health({ timeoutMs: 2000 });
      expect(health.active).toBe(0);
    } finally {
      await executor.close();
    }
  });

  it('should keep a job waiting while the host is busy with another backend’s run, and start it once a slot frees', async () => {
    const host = await hostWith(1);
    const [mine, other] = [await executorOn(host, 1), await executorOn(host, 1)];
    try {
      const otherObserver = new RecordingObserver();
      const otherRun = other.submit(job('op-other-backend', longStrategy('remote_busy_other')), otherObserver);
      await waitFor(() => (otherObserver.epochs.length >= 1 ? true : undefined), 'the other run to train');
      const observer = new RecordingObserver();
      const handle = mine.submit(job('op-mine', spxStrategy('remote_busy_mine')), observer);
      // The host answers HOST_BUSY; the job is dispatched but not started, and keeps asking.
      await new Promise((resolve) => setTimeout(resolve, 700));
      expect(observer.starts).toEqual([]);
      otherRun.cancel();
      expect((await otherRun.outcome).status).toBe('cancelled');
      expect(await handle.outcome).toMatchObject({ status: 'completed' });
      expect(observer.starts).toHaveLength(1);
    } finally {
      await Promise.all([mine.close(), other.close()]);
    }
  });

  it('should report the device the host reports', async () => {
    const host = await hostWith(1);
    const executor = await executorOn(host, 1);
    try {
      expect(executor.device).toMatch(/cpu/);
      expect(executor.gpu).toBe(false);
      expect(executor.capacity()).toEqual({ slots: 1, running: 0, queued: 0 });
    } finally {
      await executor.close();
    }
  });
});
