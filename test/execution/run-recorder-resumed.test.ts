import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RunHandle, RunOutcome } from '../../src/execution/executor.js';
import { SqliteOperationStore } from '../../src/operations/sqlite/sqlite-operation-store.js';
import type { HostResults } from '../../src/trainings/host-results.js';
import type { ModelWriter } from '../../src/trainings/model-writer.js';
import { RunRecorder } from '../../src/trainings/run-recorder.js';
import { silentLogger } from '../../src/util/logger.js';
import { trainingInput } from '../operations/builders.js';

/** A run whose outcome the test decides. */
function controlledRun(): { handle: RunHandle; end: (outcome: RunOutcome) => void } {
  let end!: (outcome: RunOutcome) => void;
  const outcome = new Promise<RunOutcome>((resolve) => (end = resolve));
  return { handle: { outcome, cancel: () => {} }, end };
}

describe('RunRecorder: a run that ends after its operation was resumed', () => {
  let dir: string;
  let operations: SqliteOperationStore;
  let recorder: RunRecorder;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ktrdr-recorder-'));
    operations = new SqliteOperationStore(join(dir, 'ktrdr.db'));
    recorder = new RunRecorder({
      operations,
      writer: {} as ModelWriter,
      hostResults: {} as HostResults,
      replace: async () => false,
      logger: silentLogger(),
    });
  });
  afterEach(async () => {
    await operations.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("does not end the resumed run with the previous run's end; the resumed run's own end counts", async () => {
    // Cancelled while pending here, though a queue host had already taken it: its run goes on until the host stops it.
    const operation = await operations.create(trainingInput());
    const first = controlledRun();
    recorder.launch(operation, () => first.handle);
    const firstRun = recorder.get(operation.id)!;
    expect((await operations.requestCancel(operation.id)).status).toBe('cancelled');

    const resumed = await operations.markResumed(operation.id, { resumed: { epoch: 5, total_epochs: 10 }, reason: 'resumed on request' });
    const second = controlledRun();
    recorder.launch(resumed, () => second.handle);

    first.end({ status: 'cancelled', started: true });
    await firstRun.finished;
    expect((await operations.get(operation.id)).status).toBe('running');

    second.end({ status: 'failed', error: { code: 'TRAINING_FAILED', message: 'the resumed run failed' } });
    await recorder.whenFinished(operation.id);
    expect(await operations.get(operation.id)).toMatchObject({ status: 'failed', error: { message: 'the resumed run failed' } });
  });
});
