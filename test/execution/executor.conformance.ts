import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseStrategy } from '../../src/config/strategy.js';
import { dataFileName } from '../../src/data/names.js';
import type { SeriesDigest } from '../../src/data/series-digests.js';
import { requiredTimeframes } from '../../src/features/index.js';
import { applyOverrides, type StrategyOverrides } from '../../src/training/overrides.js';
import { MarketDataRepository } from '../../src/data/repository.js';
import type { Executor, RunObserver, TrainingJob } from '../../src/execution/executor.js';
import type { EpochRecord } from '../../src/nn/index.js';
import { runTraining } from '../../src/training/pipeline.js';
import type { TrainingProgress } from '../../src/training/progress.js';
import { TOTAL_STEPS, stepLine, TRAINING_STEPS } from '../../src/training/steps.js';
import { silentLogger, type LogRecord } from '../../src/util/logger.js';
import { DATA_DIR, longStrategy, spxStrategy, waitFor } from '../helpers/strategies.js';

export interface ExecutorFixture {
  readonly executor: Executor;
  /** Closes the executor and anything the fixture started. */
  dispose(): Promise<void>;
}

export interface ExecutorConformanceOptions {
  /** Upper bound on cancel → `cancelled` outcome for a running job, in ms. A remote executor may need more. */
  readonly cancelWithinMs: number;
}

/** Everything a run reported, in order. */
export class RecordingObserver implements RunObserver {
  readonly starts: string[] = [];
  readonly progress: TrainingProgress[] = [];
  readonly logs: LogRecord[] = [];
  readonly epochs: EpochRecord[] = [];

  onStart(info: { device: string }): void {
    this.starts.push(info.device);
  }
  onProgress(progress: TrainingProgress): void {
    this.progress.push(progress);
  }
  onLogs(records: readonly LogRecord[]): void {
    this.logs.push(...records);
  }
  onEpochs(records: readonly EpochRecord[]): void {
    this.epochs.push(...records);
  }
}

/**
 * A job as the edge would resolve it: overrides and seed applied to the text, each series named by the hash of its
 * file in DATA_DIR. A series with no file gets a hash no file has, so the run fails the way a vanished file would.
 */
export function job(operationId: string, strategyYaml: string, given: Omit<StrategyOverrides, 'seed'> & { seed?: number } = {}): TrainingJob {
  const effective = applyOverrides(strategyYaml, given);
  return { operationId, strategyYaml: effective, strategySource: `${operationId}.yaml`, data: seriesOf(effective) };
}

const NO_SUCH_FILE_SHA256 = '0'.repeat(64);

function seriesOf(strategyYaml: string): SeriesDigest[] {
  let strategy;
  try {
    strategy = parseStrategy(strategyYaml);
  } catch {
    // An invalid strategy fails before training reads data; the host still needs a well-formed request to say so.
    return seriesOf(spxStrategy('conformance_placeholder'));
  }
  return strategy.trainingData.symbols.flatMap((symbol) =>
    requiredTimeframes(strategy).map((timeframe) => {
      const file = join(DATA_DIR, dataFileName(symbol, timeframe));
      const sha256 = existsSync(file) ? createHash('sha256').update(readFileSync(file)).digest('hex') : NO_SUCH_FILE_SHA256;
      return { symbol, timeframe, sha256 };
    }),
  );
}

/**
 * The contract every `Executor` adapter must meet. The local worker-thread executor runs it today; the remote host
 * executor will run the same suite, which is how "same results everywhere" is checked rather than hoped for.
 */
export function describeExecutorConformance(
  name: string,
  factory: (options: { concurrency: number }) => Promise<ExecutorFixture>,
  options: ExecutorConformanceOptions,
): void {
  describe(`${name} (Executor conformance)`, () => {
    let fixture: ExecutorFixture | undefined;
    const open = async (concurrency: number): Promise<Executor> => {
      fixture = await factory({ concurrency });
      return fixture.executor;
    };
    afterEach(async () => {
      await fixture?.dispose();
      fixture = undefined;
    });

    it('should run a job to completion and return the same artifact as the pipeline run in-process', async () => {
      const executor = await open(1);
      const observer = new RecordingObserver();
      const yaml = spxStrategy('conformance_tiny');
      const outcome = await executor.submit(job('op-tiny', yaml, { seed: 11 }), observer).outcome;

      expect(outcome.status).toBe('completed');
      if (outcome.status !== 'completed') return;
      const reference = await runTraining(
        { strategyYaml: applyOverrides(yaml, { seed: 11 }), strategySource: 'op-tiny.yaml' },
        {
          logger: silentLogger(),
          onProgress: () => {},
          signal: new AbortController().signal,
          data: new MarketDataRepository(DATA_DIR),
          execution: { mode: 'local', device: 'reference' },
        },
      );
      expect(outcome.artifact.manifest.weights_sha256).toBe(reference.artifact.manifest.weights_sha256);
      expect(Buffer.from(outcome.artifact.weights).equals(Buffer.from(reference.artifact.weights))).toBe(true);
      expect(outcome.artifact.manifest.operation_id).toBe('op-tiny');
      expect(outcome.artifact.manifest.seed).toBe(11);

      expect(observer.starts).toEqual([executor.device]);
      const percents = observer.progress.map((p) => p.percent);
      expect(percents.every((p, i) => i === 0 || p >= percents[i - 1])).toBe(true);
      expect(percents[percents.length - 1]).toBe(100);
      expect(observer.epochs.map((e) => e.epoch)).toEqual([1, 2, 3, 4]);
      const stepLines = observer.logs.filter((l) => l.level === 'info' && l.msg.startsWith('Step ')).map((l) => l.msg);
      expect(stepLines).toEqual(TRAINING_STEPS.map((s) => stepLine(s.key)));
      expect(stepLines).toHaveLength(TOTAL_STEPS);
    });

    it('should report a failure with its stable error code', async () => {
      const executor = await open(2);
      const missingData = executor.submit(job('op-nodata', spxStrategy('conformance_nodata'), { symbols: ['NOPE'] })).outcome;
      const invalid = executor.submit(job('op-invalid', 'name: x\nnot: [valid')).outcome;
      expect(await missingData).toMatchObject({ status: 'failed', error: { code: 'DATA_NOT_FOUND' } });
      expect(await invalid).toMatchObject({ status: 'failed', error: { code: 'STRATEGY_INVALID' } });
    });

    it(`should stop a running job within ${options.cancelWithinMs} ms of cancel`, async () => {
      const executor = await open(1);
      const observer = new RecordingObserver();
      const handle = executor.submit(job('op-long', longStrategy('conformance_long')), observer);
      await waitFor(() => (observer.epochs.length >= 2 ? true : undefined), 'two epochs');
      const asked = performance.now();
      handle.cancel('test');
      const outcome = await handle.outcome;
      const took = performance.now() - asked;
      expect(outcome).toEqual({ status: 'cancelled', started: true });
      expect(took).toBeLessThan(options.cancelWithinMs);
      // Idempotent, and harmless once the outcome is known.
      handle.cancel();
      expect(executor.capacity().queued).toBe(0);
    });

    it('should drop a queued job on cancel without ever starting it', async () => {
      const executor = await open(1);
      const first = executor.submit(job('op-first', longStrategy('conformance_first')));
      const queuedObserver = new RecordingObserver();
      const queued = executor.submit(job('op-queued', spxStrategy('conformance_queued')), queuedObserver);
      expect(executor.capacity()).toMatchObject({ slots: 1, running: 1, queued: 1 });
      queued.cancel();
      expect(await queued.outcome).toEqual({ status: 'cancelled', started: false });
      expect(queuedObserver.starts).toEqual([]);
      expect(executor.capacity().queued).toBe(0);
      first.cancel();
      expect((await first.outcome).status).toBe('cancelled');
    });

    it('should run at most `concurrency` jobs at once and start waiting ones in FIFO order', async () => {
      const executor = await open(1);
      const started: string[] = [];
      const maxRunning: number[] = [];
      const submit = (id: string) =>
        executor.submit(job(id, spxStrategy(`conformance_${id}`)), {
          onStart: () => {
            started.push(id);
            maxRunning.push(executor.capacity().running);
          },
        });
      const handles = ['a', 'b', 'c'].map(submit);
      expect(executor.capacity()).toMatchObject({ running: 1, queued: 2 });
      const outcomes = await Promise.all(handles.map((h) => h.outcome));
      expect(outcomes.map((o) => o.status)).toEqual(['completed', 'completed', 'completed']);
      expect(started).toEqual(['a', 'b', 'c']);
      expect(Math.max(...maxRunning)).toBe(1);
    });

    it('should cancel queued and running jobs on close', async () => {
      const executor = await open(1);
      const running = executor.submit(job('op-close-running', longStrategy('conformance_close_a')));
      const queued = executor.submit(job('op-close-queued', longStrategy('conformance_close_b')));
      await executor.close();
      expect(await running.outcome).toMatchObject({ status: 'cancelled' });
      expect(await queued.outcome).toEqual({ status: 'cancelled', started: false });
      expect(() => executor.submit(job('op-late', spxStrategy('late')))).toThrow();
    });
  });
}
