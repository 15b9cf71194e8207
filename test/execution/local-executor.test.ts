import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { KtrdrError } from '../../src/errors.js';
import { localConcurrency } from '../../src/execution/local/concurrency.js';
import { LocalExecutor } from '../../src/execution/local/local-executor.js';
import { resolveWorkerFile } from '../../src/execution/local/worker-file.js';
import { describeExecutorConformance, job, RecordingObserver } from './executor.conformance.js';
import { DATA_DIR, longStrategy, waitFor } from '../helpers/strategies.js';

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
    for (let i = 0; i < 40; i++) {
      const scheduled = performance.now();
      await new Promise((resolve) => setTimeout(resolve, 5));
      worstLagMs = Math.max(worstLagMs, performance.now() - scheduled - 5);
    }
    expect(observer.epochs.length).toBeGreaterThan(10);
    // Training on this thread would stall timers for whole epochs; a few hundred ms allows for a busy CI machine.
    expect(worstLagMs).toBeLessThan(300);
    handle.cancel();
    await handle.outcome;
  });

  it('should refuse a non-positive concurrency', () => {
    expect(() => new LocalExecutor({ dataDir: DATA_DIR, concurrency: 0 })).toThrow(RangeError);
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
