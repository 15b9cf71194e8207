import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { KtrdrError } from '../../src/errors.js';
import { localConcurrency, localThreadsPerRun, runsAtOnce } from '../../src/execution/local/concurrency.js';
import { LocalExecutor } from '../../src/execution/local/local-executor.js';
import { resolveWorkerFile } from '../../src/execution/local/worker-file.js';
import { describeExecutorConformance, job, RecordingObserver } from './executor.conformance.js';
import { resolveBackend } from '../../src/nn/backend-registry.js';
import { DATA_DIR, longStrategy, spxStrategy, waitFor } from '../helpers/strategies.js';

describeExecutorConformance(
  'LocalExecutor',
  async ({ concurrency }) => {
    const executor = new LocalExecutor({ dataDir: DATA_DIR, concurrency });
    return { executor, dispose: () => executor.close() };
  },
  // The worker reads the cancel flag at every batch (well under a millisecond apart); 100 ms is the requirement.
  { cancelWithinMs: 100 },
);

describe(LocalExecutor.name, () => {
  let executor: LocalExecutor | undefined;
  afterEach(async () => {
    await executor?.close();
    executor = undefined;
  });

  it('should keep the event loop free while a run trains', async () => {
    executor = new LocalExecutor({ dataDir: DATA_DIR, concurrency: 1 });
    const observer = new RecordingObserver();
    const handle = executor.submit(job('op-loop', longStrategy('loop_check')), observer);
    await waitFor(() => (observer.epochs.length >= 1 ? true : undefined), 'the first epoch');
    let worstLagMs = 0;
    // Sampled over ten epochs of training, however long a busy machine makes them.
    const until = observer.epochs.length + 10;
    while (observer.epochs.length < until) {
      const scheduled = performance.now();
      await new Promise((resolve) => setTimeout(resolve, 5));
      worstLagMs = Math.max(worstLagMs, performance.now() - scheduled - 5);
    }
    // Training on this thread would stall timers for whole epochs; a few hundred ms allows for a busy CI machine.
    expect(worstLagMs).toBeLessThan(300);
    handle.cancel();
    await handle.outcome;
  });

  it('should refuse a non-positive concurrency', () => {
    expect(() => new LocalExecutor({ dataDir: DATA_DIR, concurrency: 0 })).toThrow(RangeError);
  });

  it("should count each run's threads against the cores, so runs never oversubscribe them", () => {
    executor = new LocalExecutor({ dataDir: DATA_DIR, concurrency: 5, threadsPerRun: 2 });
    expect(executor.capacity().slots).toBe(2);
    expect(executor.threadsPerRun).toBe(2);
    expect(() => new LocalExecutor({ dataDir: DATA_DIR, concurrency: 2, threadsPerRun: 3 })).toThrow(RangeError);
  });

  it('should hand each run its threads, which change nothing in the weights', async () => {
    const yaml = spxStrategy('threads_check');
    const outcomes = [];
    for (const threadsPerRun of [1, 2]) {
      executor = new LocalExecutor({ dataDir: DATA_DIR, concurrency: 2, threadsPerRun });
      outcomes.push(await executor.submit(job(`op-threads-${threadsPerRun}`, yaml, { seed: 3 })).outcome);
      await executor.close();
      executor = undefined;
    }
    const [one, two] = outcomes.map((outcome) => (outcome.status === 'completed' ? outcome.artifact.manifest : null));
    expect(one?.training_threads).toBe(1);
    // js-cpu, the fallback where SIMD does not validate, computes on one thread whatever it is granted.
    expect(two?.training_threads).toBe(resolveBackend('auto') === 'js-cpu' ? 1 : 2);
    expect(two?.weights_sha256).toBe(one?.weights_sha256);
  });
});

describe(localConcurrency.name, () => {
  it('should default to cores - 1, at least 1', () => {
    expect(localConcurrency({}, 8)).toBe(7);
    expect(localConcurrency({}, 1)).toBe(1);
    expect(localConcurrency({ KTRDR_LOCAL_CONCURRENCY: ' ' }, 4)).toBe(3);
  });

  it('should read KTRDR_LOCAL_CONCURRENCY and refuse nonsense', () => {
    expect(localConcurrency({ KTRDR_LOCAL_CONCURRENCY: '3' }, 2)).toBe(3);
    for (const bad of ['0', '-1', '1.5', 'two', '1000']) {
      expect(() => localConcurrency({ KTRDR_LOCAL_CONCURRENCY: bad }, 2)).toThrow(KtrdrError);
    }
  });
});

describe(localThreadsPerRun.name, () => {
  it('should default to one thread per run and read KTRDR_THREADS_PER_RUN up to the concurrency', () => {
    expect(localThreadsPerRun(4, {})).toBe(1);
    expect(localThreadsPerRun(4, { KTRDR_THREADS_PER_RUN: '4' })).toBe(4);
    for (const bad of ['0', '5', '1.5', 'two']) expect(() => localThreadsPerRun(4, { KTRDR_THREADS_PER_RUN: bad })).toThrow(KtrdrError);
  });

  it('should give whole runs of threads, at least one run', () => {
    expect(runsAtOnce(7, 2)).toBe(3);
    expect(runsAtOnce(1, 1)).toBe(1);
  });
});

describe(resolveWorkerFile.name, () => {
  it('should find the compiled worker under dist when running from the TypeScript sources', () => {
    const url = resolveWorkerFile(new URL('../../src/execution/local/worker-file.ts', import.meta.url).href);
    expect(url.pathname).toMatch(/\/dist\/src\/execution\/local\/training-worker\.js$/);
  });

  it('should say to build when the compiled worker is missing', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ktrdr-worker-'));
    try {
      const fromDist = pathToFileURL(join(dir, 'worker-file.js')).href;
      let error: unknown;
      try {
        resolveWorkerFile(fromDist);
      } catch (thrown) {
        error = thrown;
      }
      expect(error).toBeInstanceOf(KtrdrError);
      expect((error as KtrdrError).hint).toMatch(/npm run build/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
