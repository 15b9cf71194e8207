import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ErrorCode } from '../../src/errors.js';
import {
  OPERATION_STATUSES,
  isTerminal,
  type Operation,
  type OperationEvent,
  type OperationStatus,
  type StatusEvent,
} from '../../src/operations/operation.js';
import type { OperationStore } from '../../src/operations/operation-store.js';
import { logLine, manualClock, progressAt, steppingClock, trainingInput } from './builders.js';

/** Adapter-neutral knobs the suite needs; each adapter maps them onto its own options. */
export interface StoreTestOptions {
  now?: () => Date;
  progressEventIntervalMs?: number;
}

export interface StoreFixture {
  /** Opens a store. With a persistent target every call opens another connection to the same data. */
  open(options?: StoreTestOptions): OperationStore;
  /** Closes what `open` opened and removes the data. */
  dispose(): Promise<void>;
}

export interface ConformanceTarget {
  /** True when stores opened by one fixture share their data (restart and two-connection tests need it). */
  readonly persistent: boolean;
  setup(): Promise<StoreFixture>;
}

type Action = 'markRunning' | 'completeWithModel' | 'completeWithoutModel' | 'markFailed' | 'requestCancel' | 'confirmCancelled' | 'markResumed';
type Expected = OperationStatus | 'INVALID_TRANSITION' | 'OPERATION_FINISHED';

/**
 * The rules as a table written independently of `transitions.ts`: the status an action leads to from each status,
 * or the error it is refused with.
 */
const EXPECTED: Record<Action, Record<OperationStatus, Expected>> = {
  // The one way out of a terminal status, and only for a run that did not complete.
  markResumed: {
    pending: 'INVALID_TRANSITION',
    running: 'INVALID_TRANSITION',
    cancelling: 'INVALID_TRANSITION',
    completed: 'OPERATION_FINISHED',
    failed: 'running',
    cancelled: 'running',
  },
  markRunning: {
    pending: 'running',
    running: 'INVALID_TRANSITION',
    cancelling: 'INVALID_TRANSITION',
    completed: 'OPERATION_FINISHED',
    failed: 'OPERATION_FINISHED',
    cancelled: 'OPERATION_FINISHED',
  },
  completeWithModel: {
    pending: 'INVALID_TRANSITION',
    running: 'completed',
    cancelling: 'completed',
    completed: 'OPERATION_FINISHED',
    failed: 'OPERATION_FINISHED',
    cancelled: 'OPERATION_FINISHED',
  },
  completeWithoutModel: {
    pending: 'INVALID_TRANSITION',
    running: 'completed',
    cancelling: 'cancelled',
    completed: 'OPERATION_FINISHED',
    failed: 'OPERATION_FINISHED',
    cancelled: 'OPERATION_FINISHED',
  },
  markFailed: {
    pending: 'failed',
    running: 'failed',
    cancelling: 'cancelled',
    completed: 'OPERATION_FINISHED',
    failed: 'OPERATION_FINISHED',
    cancelled: 'OPERATION_FINISHED',
  },
  requestCancel: {
    pending: 'cancelled',
    running: 'cancelling',
    cancelling: 'cancelling',
    completed: 'OPERATION_FINISHED',
    failed: 'OPERATION_FINISHED',
    cancelled: 'OPERATION_FINISHED',
  },
  confirmCancelled: {
    pending: 'INVALID_TRANSITION',
    running: 'INVALID_TRANSITION',
    cancelling: 'cancelled',
    completed: 'OPERATION_FINISHED',
    failed: 'OPERATION_FINISHED',
    cancelled: 'OPERATION_FINISHED',
  },
};

const MODEL_RESULT = { model_version: 3, metrics: { test_accuracy: 0.61 } };
const NO_MODEL_RESULT = { model_version: null };
const TRAINING_ERROR = { code: 'TRAINING_DIVERGED', message: 'loss became NaN at epoch 4' } as const;

function act(store: OperationStore, action: Action, id: string): Promise<Operation> {
  switch (action) {
    case 'markRunning':
      return store.markRunning(id);
    case 'completeWithModel':
      return store.markCompleted(id, MODEL_RESULT);
    case 'completeWithoutModel':
      return store.markCompleted(id, NO_MODEL_RESULT);
    case 'markFailed':
      return store.markFailed(id, TRAINING_ERROR);
    case 'requestCancel':
      return store.requestCancel(id, { reason: 'user pressed Ctrl+C' });
    case 'confirmCancelled':
      return store.confirmCancelled(id);
    case 'markResumed':
      return store.markResumed(id, { resumed: { epoch: 3, total_epochs: 10 }, reason: 'resumed from the checkpoint at epoch 3/10' });
  }
}

/** Creates an operation and moves it to `status` through legal steps only. */
async function operationIn(store: OperationStore, status: OperationStatus, input = trainingInput()): Promise<Operation> {
  const op = await store.create(input);
  switch (status) {
    case 'pending':
      return op;
    case 'running':
      return store.markRunning(op.id);
    case 'cancelling':
      await store.markRunning(op.id);
      return store.requestCancel(op.id);
    case 'completed':
      await store.markRunning(op.id);
      return store.markCompleted(op.id, MODEL_RESULT);
    case 'failed':
      await store.markRunning(op.id);
      return store.markFailed(op.id, TRAINING_ERROR);
    case 'cancelled':
      return store.requestCancel(op.id);
  }
}

async function expectCode(promise: Promise<unknown>, code: ErrorCode): Promise<void> {
  await expect(promise).rejects.toMatchObject({ name: 'KtrdrError', code });
}

function statusEvents(events: readonly OperationEvent[]): StatusEvent[] {
  return events.filter((e): e is StatusEvent => e.kind === 'status');
}

/** The suite every `OperationStore` adapter must pass. */
export function describeOperationStoreConformance(name: string, target: ConformanceTarget): void {
  describe(`OperationStore conformance: ${name}`, () => {
    let fixture: StoreFixture;
    let sut: OperationStore;

    beforeEach(async () => {
      fixture = await target.setup();
      sut = fixture.open({ now: steppingClock() });
    });
    afterEach(async () => {
      await fixture.dispose();
    });

    describe('create and read', () => {
      it('should create a pending operation with the request kept verbatim and a first status event', async () => {
        const input = trainingInput({ execution: { requested: 'host', selected: null, reason: null } });
        const op = await sut.create(input);
        expect(op).toMatchObject({
          type: 'training',
          strategy: 'demo_rsi',
          status: 'pending',
          request: input.request,
          started_at: null,
          finished_at: null,
          cancel_requested_at: null,
          progress: null,
          execution: { requested: 'host', selected: null, reason: null },
          error: null,
          result: null,
          remote: null,
        });
        expect(op.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
        expect(op.created_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
        expect(await sut.get(op.id)).toEqual(op);
        const events = await sut.eventsSince(op.id, 0);
        expect(events.map((e) => [e.kind, e.data])).toEqual([['status', { from: null, to: 'pending' }]]);
      });

      it('should default the execution record to auto, not yet selected', async () => {
        const op = await sut.create(trainingInput());
        expect(op.execution).toEqual({ requested: 'auto', selected: null, reason: null });
      });

      it('should take a caller-chosen id and refuse a duplicate with OPERATION_EXISTS', async () => {
        const op = await sut.create(trainingInput({ id: 'op-fixed-1' }));
        expect(op.id).toBe('op-fixed-1');
        await expectCode(sut.create(trainingInput({ id: 'op-fixed-1' })), 'OPERATION_EXISTS');
        expect((await sut.list()).total).toBe(1);
      });

      it('should report an unknown id as OPERATION_NOT_FOUND from get and as null from find', async () => {
        await expectCode(sut.get('nope'), 'OPERATION_NOT_FOUND');
        expect(await sut.find('nope')).toBeNull();
        for (const call of [
          sut.markRunning('nope'),
          sut.requestCancel('nope'),
          sut.recordProgress('nope', progressAt(1)),
          sut.appendLogs('nope', [logLine('x')]),
          sut.appendLogs('nope', []),
          sut.appendMetric('nope', { epoch: 1 }),
          sut.eventsSince('nope', 0),
          sut.logs('nope'),
          sut.metrics('nope'),
          sut.setExecution('nope', { requested: 'auto', selected: 'local', reason: 'x' }),
          sut.setRemote('nope', { host_url: 'http://h', run_id: 'r' }),
        ]) {
          await expectCode(call, 'OPERATION_NOT_FOUND');
        }
      });
    });

    describe('transitions', () => {
      for (const [action, byStatus] of Object.entries(EXPECTED) as [Action, Record<OperationStatus, Expected>][]) {
        for (const from of OPERATION_STATUSES) {
          const expected = byStatus[from];
          const isStatus = (OPERATION_STATUSES as readonly string[]).includes(expected);
          it(`should ${isStatus ? `move ${from} to ${expected}` : `refuse with ${expected}`} on ${action} from ${from}`, async () => {
            const before = await operationIn(sut, from);
            const eventsBefore = await sut.eventsSince(before.id, 0);
            if (!isStatus) {
              await expectCode(act(sut, action, before.id), expected as ErrorCode);
              expect(await sut.get(before.id)).toEqual(before);
              expect(await sut.eventsSince(before.id, 0)).toEqual(eventsBefore);
              return;
            }
            const after = await act(sut, action, before.id);
            expect(after.status).toBe(expected);
            expect(await sut.get(before.id)).toEqual(after);
            const added = statusEvents(await sut.eventsSince(before.id, eventsBefore[eventsBefore.length - 1].seq));
            if (expected === from) {
              expect(added).toEqual([]); // an idempotent repeat records nothing
              return;
            }
            expect(added.map((e) => [e.data.from, e.data.to])).toEqual([[from, expected]]);
            expect(after.finished_at !== null).toBe(isTerminal(after.status));
            expect(after.error !== null).toBe(after.status === 'failed');
            expect(after.result !== null).toBe(after.status === 'completed');
          });
        }
      }

      it('should stamp started_at and take the execution record when marked running', async () => {
        const op = await sut.create(trainingInput());
        const execution = { requested: 'auto', selected: 'host', reason: 'host healthy', host: 'http://gpu-1:5002', device: 'cuda:0' } as const;
        const running = await sut.markRunning(op.id, { execution });
        expect(running.started_at).not.toBeNull();
        expect(running.started_at! >= op.created_at).toBe(true);
        expect(running.execution).toEqual(execution);
      });

      it('should keep the result on completion and the error on failure', async () => {
        const done = await operationIn(sut, 'completed');
        expect(done.result).toEqual(MODEL_RESULT);
        expect(done.finished_at! >= done.started_at!).toBe(true);
        const failed = await operationIn(sut, 'failed');
        expect(failed.error).toEqual(TRAINING_ERROR);
        const last = statusEvents(await sut.eventsSince(failed.id, 0)).at(-1)!;
        expect(last.data).toMatchObject({ from: 'running', to: 'failed', error: TRAINING_ERROR });
      });

      it('should let a pending failure (e.g. no host) fail without ever running', async () => {
        const op = await sut.create(trainingInput());
        const failed = await sut.markFailed(op.id, { code: 'HOST_UNAVAILABLE', message: 'no healthy host' });
        expect(failed).toMatchObject({ status: 'failed', started_at: null, error: { code: 'HOST_UNAVAILABLE' } });
      });

      it('should record the cancel request time and reason, and confirm later', async () => {
        const running = await operationIn(sut, 'running');
        const cancelling = await sut.requestCancel(running.id, { reason: 'user pressed Ctrl+C' });
        expect(cancelling).toMatchObject({ status: 'cancelling', finished_at: null });
        expect(cancelling.cancel_requested_at).not.toBeNull();
        const again = await sut.requestCancel(running.id, { reason: 'second request' });
        expect(again).toEqual(cancelling);
        const cancelled = await sut.confirmCancelled(running.id);
        expect(cancelled.status).toBe('cancelled');
        expect(cancelled.cancel_requested_at).toBe(cancelling.cancel_requested_at);
        const changes = statusEvents(await sut.eventsSince(running.id, 0)).map((e) => e.data);
        expect(changes).toEqual([
          { from: null, to: 'pending' },
          { from: 'pending', to: 'running' },
          { from: 'running', to: 'cancelling', reason: 'user pressed Ctrl+C' },
          { from: 'cancelling', to: 'cancelled' },
        ]);
      });

      it('should end a run that fails while cancelling as cancelled, keeping the failure on the status event only', async () => {
        const op = await operationIn(sut, 'cancelling');
        const after = await sut.markFailed(op.id, { code: 'CANCELLED', message: 'aborted' });
        expect(after).toMatchObject({ status: 'cancelled', error: null, result: null });
        const last = statusEvents(await sut.eventsSince(op.id, 0)).at(-1)!;
        expect(last.data).toMatchObject({ from: 'cancelling', to: 'cancelled', error: { code: 'CANCELLED', message: 'aborted' } });
        expect(last.data.reason).toMatch(/failed after cancel/);
      });

      it('should let a run whose model was saved complete while cancelling, and say why', async () => {
        const op = await operationIn(sut, 'cancelling');
        const after = await sut.markCompleted(op.id, MODEL_RESULT);
        expect(after).toMatchObject({ status: 'completed', result: MODEL_RESULT });
        const last = statusEvents(await sut.eventsSince(op.id, 0)).at(-1)!;
        expect(last.data.reason).toMatch(/model was saved/);
      });

      it('should never overwrite a terminal status, whatever is tried afterwards', async () => {
        const done = await operationIn(sut, 'completed');
        for (const action of Object.keys(EXPECTED) as Action[]) {
          await expectCode(act(sut, action, done.id), 'OPERATION_FINISHED');
        }
        await expectCode(sut.setExecution(done.id, { requested: 'auto', selected: 'local', reason: 'late' }), 'OPERATION_FINISHED');
        await expectCode(sut.setRemote(done.id, { host_url: 'http://h', run_id: 'r' }), 'OPERATION_FINISHED');
        expect((await sut.failInterrupted(() => true)).map((o) => o.id)).not.toContain(done.id);
        expect(await sut.get(done.id)).toEqual(done);
      });

      it('should resume a cancelled run as the same operation: error, finish time, cancel request and remote reference cleared, recorded as resumed', async () => {
        const running = await operationIn(sut, 'running');
        await sut.setRemote(running.id, { host_url: 'queue:training', run_id: running.id, cursor: 57 });
        const cancelling = await sut.requestCancel(running.id, { reason: 'user pressed Ctrl+C' });
        const cancelled = await sut.confirmCancelled(cancelling.id);
        const execution = { requested: 'auto', selected: 'local', reason: 'resumed here', device: 'cpu' } as const;
        const resumed = await sut.markResumed(cancelled.id, { resumed: { epoch: 40, total_epochs: 100 }, reason: 'resumed by a user', execution });
        // Nor is the old run's remote reference kept: a restart must not follow the ended run again.
        expect(resumed).toMatchObject({ status: 'running', finished_at: null, cancel_requested_at: null, error: null, execution, remote: null });
        expect(resumed.started_at).toBe(cancelled.started_at);
        const last = statusEvents(await sut.eventsSince(resumed.id, 0)).at(-1)!;
        expect(last.data).toEqual({ from: 'cancelled', to: 'running', reason: 'resumed by a user', resumed: { epoch: 40, total_epochs: 100 } });
        // A resumed run can be cancelled again like any running one.
        expect((await sut.requestCancel(resumed.id)).status).toBe('cancelling');
      });

      it('should attach a recovered result to a failed operation once, without leaving failed', async () => {
        const failed = await operationIn(sut, 'failed');
        const events = (await sut.eventsSince(failed.id, 0)).length;
        const recovered = { model_version: 4, recovered: true };
        const after = await sut.attachRecoveredResult(failed.id, recovered);
        expect(after).toEqual({ ...failed, result: recovered });
        // Once only: a second result (a repeated push) changes nothing.
        expect(await sut.attachRecoveredResult(failed.id, { model_version: 5 })).toEqual(after);
        expect(await sut.eventsSince(failed.id, 0)).toHaveLength(events);
        for (const status of ['pending', 'running', 'cancelling', 'completed', 'cancelled'] as const) {
          const other = await operationIn(sut, status);
          await expectCode(sut.attachRecoveredResult(other.id, recovered), 'INVALID_TRANSITION');
        }
        await expectCode(sut.attachRecoveredResult('no-such-id', recovered), 'OPERATION_NOT_FOUND');
      });

      it('should let exactly one of two competing callers win each transition', async () => {
        const op = await sut.create(trainingInput());
        const starts = await Promise.allSettled([sut.markRunning(op.id), sut.markRunning(op.id)]);
        expect(starts.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
        const ends = await Promise.allSettled([sut.markCompleted(op.id, MODEL_RESULT), sut.markFailed(op.id, TRAINING_ERROR)]);
        expect(ends.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
        const final = await sut.get(op.id);
        const winner = ends.find((r) => r.status === 'fulfilled') as PromiseFulfilledResult<Operation>;
        expect(final).toEqual(winner.value);
        expect(statusEvents(await sut.eventsSince(op.id, 0)).filter((e) => isTerminal(e.data.to))).toHaveLength(1);
      });

      it.runIf(target.persistent)('should let exactly one of two connections win a race on the same operation', async () => {
        const other = fixture.open();
        for (let i = 0; i < 20; i++) {
          const op = await sut.create(trainingInput());
          await sut.markRunning(op.id);
          // Alternate who goes first: the second must see the first one's committed status, not a stale copy.
          const [first, second] = i % 2 === 0 ? [sut, other] : [other, sut];
          const results = await Promise.allSettled([
            first.markCompleted(op.id, MODEL_RESULT),
            second.requestCancel(op.id),
            second.markFailed(op.id, TRAINING_ERROR),
          ]);
          expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'rejected']);
          expect((await other.get(op.id)).status).toBe('completed');
          expect((await sut.get(op.id)).status).toBe('completed');
        }
      });
    });

    describe('progress', () => {
      it('should keep the latest snapshot on the operation and throttle progress events', async () => {
        const clock = manualClock();
        const store = fixture.open({ now: clock.now, progressEventIntervalMs: 250 });
        const op = await operationIn(store, 'running');
        for (let i = 1; i <= 100; i++) {
          await store.recordProgress(op.id, progressAt(i * 0.5, { batch: i }));
          clock.advance(10); // 100 reports over one second
        }
        expect((await store.get(op.id)).progress).toEqual(progressAt(50, { batch: 100 }));
        const written = (await store.eventsSince(op.id, 0, { kinds: ['progress'] })).map((e) => e.data);
        // first, then one per 250 ms: batches 1, 26, 51, 76
        expect(written.map((p) => p.batch)).toEqual([1, 26, 51, 76]);
        await store.markCompleted(op.id, MODEL_RESULT);
        const all = await store.eventsSince(op.id, 0);
        const tail = all.slice(-2).map((e) => [e.kind, e.kind === 'progress' ? e.data.batch : e.data]);
        // The held last snapshot lands just before the final status.
        expect(tail).toEqual([
          ['progress', 100],
          ['status', { from: 'running', to: 'completed' }],
        ]);
      });

      it('should always write a progress event for a new step and for 100 %', async () => {
        const clock = manualClock();
        const store = fixture.open({ now: clock.now, progressEventIntervalMs: 250 });
        const op = await operationIn(store, 'running');
        await store.recordProgress(op.id, progressAt(10, { step: 'indicators', step_index: 2 }));
        await store.recordProgress(op.id, progressAt(11, { step: 'indicators', step_index: 2 }));
        await store.recordProgress(op.id, progressAt(12, { step: 'fuzzy', step_index: 3 }));
        await store.recordProgress(op.id, progressAt(100, { step: 'fuzzy', step_index: 3 }));
        const written = (await store.eventsSince(op.id, 0, { kinds: ['progress'] })).map((e) => e.data.percent);
        expect(written).toEqual([10, 12, 100]);
      });

      it('should write every progress event when throttling is off', async () => {
        const store = fixture.open({ progressEventIntervalMs: 0 });
        const op = await operationIn(store, 'running');
        for (let i = 0; i < 10; i++) await store.recordProgress(op.id, progressAt(i));
        expect(await store.eventsSince(op.id, 0, { kinds: ['progress'] })).toHaveLength(10);
      });

      it('should drop progress that arrives after the operation ended', async () => {
        const op = await operationIn(sut, 'running');
        await sut.recordProgress(op.id, progressAt(100));
        const done = await sut.markCompleted(op.id, MODEL_RESULT);
        const events = await sut.eventsSince(op.id, 0);
        await sut.recordProgress(op.id, progressAt(42));
        expect(await sut.get(op.id)).toEqual(done);
        expect(done.progress?.percent).toBe(100);
        expect(await sut.eventsSince(op.id, 0)).toEqual(events);
      });

      it('should accept progress while pending and while cancelling', async () => {
        const pending = await sut.create(trainingInput());
        await sut.recordProgress(pending.id, progressAt(1));
        expect((await sut.get(pending.id)).progress?.percent).toBe(1);
        const cancelling = await operationIn(sut, 'cancelling');
        await sut.recordProgress(cancelling.id, progressAt(7));
        expect((await sut.get(cancelling.id)).progress?.percent).toBe(7);
      });
    });

    describe('events', () => {
      it('should give every event a strictly increasing seq, across kinds and operations', async () => {
        const a = await operationIn(sut, 'running');
        const b = await operationIn(sut, 'running');
        await sut.appendLogs(a.id, [logLine('a1')]);
        await sut.appendLogs(b.id, [logLine('b1')]);
        await sut.recordProgress(a.id, progressAt(5));
        await sut.appendMetric(a.id, { epoch: 1, train_loss: 1 });
        await sut.appendLogs(a.id, [logLine('a2'), logLine('a3')]);
        const eventsA = await sut.eventsSince(a.id, 0);
        const eventsB = await sut.eventsSince(b.id, 0);
        expect(eventsA.map((e) => e.kind)).toEqual(['status', 'status', 'log', 'progress', 'metric', 'log', 'log']);
        expect(eventsA.every((e) => e.operation_id === a.id)).toBe(true);
        expect(eventsB.every((e) => e.operation_id === b.id)).toBe(true);
        const seqs = [...eventsA, ...eventsB].map((e) => e.seq).sort((x, y) => x - y);
        expect(new Set(seqs).size).toBe(seqs.length);
        for (const events of [eventsA, eventsB]) {
          for (let i = 1; i < events.length; i++) expect(events[i].seq).toBeGreaterThan(events[i - 1].seq);
        }
        expect(eventsA.every((e) => /Z$/.test(e.time))).toBe(true);
      });

      it('should page through events with afterSeq and limit, filter by kind, and return nothing after the end', async () => {
        const op = await operationIn(sut, 'running');
        await sut.appendLogs(
          op.id,
          Array.from({ length: 25 }, (_, i) => logLine(`line ${i}`)),
        );
        await sut.appendMetric(op.id, { epoch: 1, train_loss: 0.9 });
        const all = await sut.eventsSince(op.id, 0);
        expect(all).toHaveLength(28);
        const paged: OperationEvent[] = [];
        let cursor = 0;
        for (;;) {
          const page = await sut.eventsSince(op.id, cursor, { limit: 4 });
          if (page.length === 0) break;
          expect(page.length).toBeLessThanOrEqual(4);
          paged.push(...page);
          cursor = page[page.length - 1].seq;
        }
        expect(paged).toEqual(all);
        expect(await sut.eventsSince(op.id, all[all.length - 1].seq)).toEqual([]);
        expect((await sut.eventsSince(op.id, 0, { kinds: ['metric', 'status'] })).map((e) => e.kind)).toEqual(['status', 'status', 'metric']);
        const logsAfter = await sut.eventsSince(op.id, all[5].seq, { kinds: ['log'] });
        expect(logsAfter[0].kind === 'log' && logsAfter[0].data.msg).toBe('line 4');
      });

      it('should refuse out-of-range limits with VALIDATION_FAILED', async () => {
        const op = await sut.create(trainingInput());
        await expectCode(sut.eventsSince(op.id, 0, { limit: 0 }), 'VALIDATION_FAILED');
        await expectCode(sut.eventsSince(op.id, 0, { limit: 10_001 }), 'VALIDATION_FAILED');
        await expectCode(sut.eventsSince(op.id, 0, { limit: 1.5 }), 'VALIDATION_FAILED');
      });
    });

    describe('logs', () => {
      it('should round-trip log records with their extra fields, in order, in any status', async () => {
        const op = await operationIn(sut, 'running');
        const records = [
          logLine('Step 3/11: Computing indicators', { step: 3 }),
          logLine('rsi_14 computed', { level: 'debug', indicator: 'rsi', bars: 1200 }),
          logLine('host slow', { level: 'warn', host: { url: 'http://gpu-1', latency_ms: 812 } }),
        ];
        await sut.appendLogs(op.id, records.slice(0, 2));
        await sut.markCompleted(op.id, MODEL_RESULT);
        await sut.appendLogs(op.id, records.slice(2)); // a late line from the host is still kept
        expect(await sut.logs(op.id)).toEqual(records);
        expect(await sut.logs((await sut.create(trainingInput())).id)).toEqual([]);
      });
    });

    describe('metrics', () => {
      it('should return one record per epoch, in epoch order, as a flat list', async () => {
        const op = await operationIn(sut, 'running');
        const epoch = (n: number) => ({
          epoch: n,
          train_loss: 1 / n,
          train_accuracy: 0.5 + n / 100,
          val_loss: 1.1 / n,
          val_accuracy: 0.49 + n / 100,
          learning_rate: 0.001,
        });
        await sut.appendMetric(op.id, epoch(1));
        await sut.appendMetric(op.id, epoch(3));
        await sut.appendMetric(op.id, epoch(2));
        expect(await sut.appendMetric(op.id, { ...epoch(2), train_loss: 99 })).toBeNull(); // redelivery
        await sut.appendLogs(op.id, [logLine('between epochs')]);
        expect(await sut.metrics(op.id)).toEqual([epoch(1), epoch(2), epoch(3)]);
        expect(await sut.eventsSince(op.id, 0, { kinds: ['metric'] })).toHaveLength(3);
      });

      it('should write a batch of epochs at once, leaving out redeliveries and refusing a bad record whole', async () => {
        const op = await operationIn(sut, 'running');
        await sut.appendMetric(op.id, { epoch: 1, train_loss: 1 });
        const written = await sut.appendMetrics(op.id, [
          { epoch: 1, train_loss: 9 },
          { epoch: 2, train_loss: 0.5 },
          { epoch: 3, train_loss: 0.25 },
        ]);
        expect(written.map((e) => e.data.epoch)).toEqual([2, 3]);
        expect(await sut.metrics(op.id)).toEqual([
          { epoch: 1, train_loss: 1 },
          { epoch: 2, train_loss: 0.5 },
          { epoch: 3, train_loss: 0.25 },
        ]);
        await expectCode(sut.appendMetrics(op.id, [{ epoch: 4 }, { epoch: 4.5 }]), 'VALIDATION_FAILED');
        expect(await sut.metrics(op.id)).toHaveLength(3);
        expect(await sut.appendMetrics(op.id, [])).toEqual([]);
      });

      it('should store non-finite numbers as null and refuse a record without an integer epoch', async () => {
        const op = await operationIn(sut, 'running');
        const event = await sut.appendMetric(op.id, { epoch: 0, train_loss: Number.NaN, val_loss: Number.POSITIVE_INFINITY });
        expect(event?.data).toEqual({ epoch: 0, train_loss: null, val_loss: null });
        expect(await sut.metrics(op.id)).toEqual([{ epoch: 0, train_loss: null, val_loss: null }]);
        await expectCode(sut.appendMetric(op.id, { epoch: 1.5 }), 'VALIDATION_FAILED');
        await expectCode(sut.appendMetric(op.id, { epoch: -1 }), 'VALIDATION_FAILED');
      });
    });

    describe('list', () => {
      async function seed(): Promise<Operation[]> {
        const ops: Operation[] = [];
        ops.push(await operationIn(sut, 'completed', trainingInput({ strategy: 'alpha' })));
        ops.push(await operationIn(sut, 'running', trainingInput({ strategy: 'beta' })));
        ops.push(await operationIn(sut, 'failed', trainingInput({ strategy: 'alpha' })));
        ops.push(await operationIn(sut, 'pending', trainingInput({ strategy: 'alpha' })));
        ops.push(await operationIn(sut, 'running', trainingInput({ strategy: 'alpha' })));
        return ops;
      }

      it('should list newest first with the total, and page with a cursor until next_cursor is null', async () => {
        const ops = await seed();
        const newestFirst = [...ops].reverse().map((o) => o.id);
        const first = await sut.list();
        expect(first.data.map((o) => o.id)).toEqual(newestFirst);
        expect(first).toMatchObject({ total: 5, next_cursor: null });
        const seen: string[] = [];
        let cursor: string | undefined;
        let pages = 0;
        do {
          const page = await sut.list({ limit: 2, cursor });
          expect(page.total).toBe(5);
          seen.push(...page.data.map((o) => o.id));
          cursor = page.next_cursor ?? undefined;
          pages++;
        } while (cursor);
        expect(seen).toEqual(newestFirst);
        expect(pages).toBe(3);
      });

      it('should keep pages stable when operations are created while paging', async () => {
        const ops = await seed();
        const first = await sut.list({ limit: 2 });
        await sut.create(trainingInput());
        const second = await sut.list({ limit: 2, cursor: first.next_cursor! });
        expect(second.data.map((o) => o.id)).toEqual([ops[2].id, ops[1].id]);
        expect(second.total).toBe(6);
      });

      it('should filter by status, type and strategy, with total counting all matches', async () => {
        const ops = await seed();
        const running = await sut.list({ status: 'running', limit: 1 });
        expect(running.data.map((o) => o.id)).toEqual([ops[4].id]);
        expect(running.total).toBe(2);
        expect(running.next_cursor).not.toBeNull();
        const active = await sut.list({ status: ['pending', 'running'] });
        expect(active.data.map((o) => o.id)).toEqual([ops[4].id, ops[3].id, ops[1].id]);
        const alphaRunning = await sut.list({ strategy: 'alpha', status: 'running' });
        expect(alphaRunning).toMatchObject({ total: 1, next_cursor: null });
        expect((await sut.list({ type: 'training', strategy: 'beta' })).total).toBe(1);
        expect(await sut.list({ strategy: 'gamma' })).toEqual({ data: [], next_cursor: null, total: 0 });
      });

      it('should default to 50 items, allow 500 and refuse more, and refuse a malformed cursor', async () => {
        for (let i = 0; i < 55; i++) await sut.create(trainingInput());
        expect((await sut.list()).data).toHaveLength(50);
        expect((await sut.list({ limit: 500 })).data).toHaveLength(55);
        await expectCode(sut.list({ limit: 501 }), 'VALIDATION_FAILED');
        await expectCode(sut.list({ limit: 0 }), 'VALIDATION_FAILED');
        await expectCode(sut.list({ cursor: 'not-a-cursor' }), 'VALIDATION_FAILED');
      });

      it('should count operations by status, zero-filled', async () => {
        await seed();
        expect(await sut.countByStatus()).toEqual({ pending: 1, running: 2, cancelling: 0, completed: 1, failed: 1, cancelled: 0 });
      });
    });

    describe('execution and remote', () => {
      it('should replace the execution record and store the remote reference of an unfinished operation', async () => {
        const op = await operationIn(sut, 'running');
        const execution = { requested: 'auto', selected: 'local', reason: 'host unhealthy: fell back to local', device: 'cpu' } as const;
        await sut.setExecution(op.id, execution);
        const remote = { host_url: 'http://gpu-1:5002', run_id: 'run-42', attempt: 2 };
        await sut.setRemote(op.id, remote);
        expect(await sut.get(op.id)).toMatchObject({ execution, remote });
      });
    });

    describe('start-up recovery', () => {
      it('should fail unfinished local and unselected operations as INTERRUPTED and leave host runs for re-attachment', async () => {
        const host = { requested: 'host', selected: 'host', reason: 'requested', host: 'http://gpu-1:5002' } as const;
        const local = { requested: 'auto', selected: 'local', reason: 'no host' } as const;
        const pending = await sut.create(trainingInput());
        const runningLocal = await sut.create(trainingInput());
        await sut.markRunning(runningLocal.id, { execution: local });
        const cancellingLocal = await operationIn(sut, 'cancelling');
        const runningHost = await sut.create(trainingInput());
        await sut.markRunning(runningHost.id, { execution: host });
        const done = await operationIn(sut, 'completed');

        expect((await sut.listUnfinished({ selected: 'host' })).map((o) => o.id)).toEqual([runningHost.id]);
        expect((await sut.listUnfinished({ selected: null })).map((o) => o.id)).toEqual([pending.id, cancellingLocal.id]);
        expect(await sut.listUnfinished()).toHaveLength(4);

        const finished: string[] = [];
        sut.events.on('finished', (op) => finished.push(op.id));
        const failed = await sut.failInterrupted();
        expect(failed.map((o) => o.id)).toEqual([pending.id, runningLocal.id, cancellingLocal.id]);
        expect(finished).toEqual(failed.map((o) => o.id));
        for (const op of failed) {
          expect(op).toMatchObject({ status: 'failed', error: { code: 'INTERRUPTED' } });
          expect(op.error!.message).toMatch(/restarted/);
        }
        expect((await sut.get(runningHost.id)).status).toBe('running');
        expect(await sut.get(done.id)).toEqual(done);
        expect(await sut.failInterrupted()).toEqual([]);
      });

      it('should accept a custom rule for what to fail', async () => {
        const a = await sut.create(trainingInput({ strategy: 'alpha' }));
        const b = await sut.create(trainingInput({ strategy: 'beta' }));
        const failed = await sut.failInterrupted((op) => op.strategy === 'beta');
        expect(failed.map((o) => o.id)).toEqual([b.id]);
        expect((await sut.get(a.id)).status).toBe('pending');
      });

      it.runIf(target.persistent)('should recover after a close and reopen without losing anything else', async () => {
        const before = fixture.open({ now: steppingClock('2025-02-01T00:00:00.000Z') });
        const done = await operationIn(before, 'completed');
        await before.appendLogs(done.id, [logLine('done line')]);
        await before.appendMetric(done.id, { epoch: 1, train_loss: 0.5 });
        const orphan = await operationIn(before, 'running');
        await before.recordProgress(orphan.id, progressAt(30));
        await before.appendLogs(orphan.id, [logLine('working')]);
        const hostRun = await before.create(trainingInput());
        await before.markRunning(hostRun.id, { execution: { requested: 'host', selected: 'host', reason: 'requested' } });
        await before.setRemote(hostRun.id, { host_url: 'http://gpu-1:5002', run_id: 'run-7' });
        const doneEvents = await before.eventsSince(done.id, 0);
        const orphanEvents = await before.eventsSince(orphan.id, 0);
        await before.close();

        const after = fixture.open({ now: steppingClock('2025-02-02T00:00:00.000Z') });
        expect(await after.get(done.id)).toEqual(done);
        expect(await after.eventsSince(done.id, 0)).toEqual(doneEvents);
        const failed = await after.failInterrupted();
        expect(failed.map((o) => o.id)).toEqual([orphan.id]);
        expect(failed[0].progress?.percent).toBe(30);
        const orphanAfter = await after.eventsSince(orphan.id, 0);
        expect(orphanAfter.slice(0, orphanEvents.length)).toEqual(orphanEvents);
        expect(orphanAfter.slice(orphanEvents.length).map((e) => e.data)).toEqual([
          { from: 'running', to: 'failed', reason: expect.stringMatching(/restarted/), error: { code: 'INTERRUPTED', message: expect.any(String) } },
        ]);
        expect(orphanAfter.at(-1)!.seq).toBeGreaterThan(orphanEvents.at(-1)!.seq);
        const reattach = await after.listUnfinished({ selected: 'host' });
        expect(reattach.map((o) => [o.id, o.remote])).toEqual([[hostRun.id, { host_url: 'http://gpu-1:5002', run_id: 'run-7' }]]);
        expect(await after.logs(orphan.id)).toEqual([logLine('working')]);
        expect(await after.metrics(done.id)).toEqual([{ epoch: 1, train_loss: 0.5 }]);
      });

      it.runIf(target.persistent)('should persist a held progress snapshot as an event on close', async () => {
        const clock = manualClock();
        const first = fixture.open({ now: clock.now, progressEventIntervalMs: 250 });
        const op = await operationIn(first, 'running');
        await first.recordProgress(op.id, progressAt(10));
        await first.recordProgress(op.id, progressAt(11));
        await first.close();
        const reopened = fixture.open();
        const written = await reopened.eventsSince(op.id, 0, { kinds: ['progress'] });
        expect(written.map((e) => e.kind === 'progress' && e.data.percent)).toEqual([10, 11]);
      });

      it.runIf(target.persistent)('should open the same data again and again without changes (migrations are idempotent)', async () => {
        const op = await operationIn(sut, 'completed');
        const list = await sut.list();
        await sut.close();
        for (let i = 0; i < 3; i++) {
          const again = fixture.open();
          expect(await again.list()).toEqual(list);
          expect(await again.get(op.id)).toEqual(op);
          await again.close();
        }
      });
    });

    describe('event emitter', () => {
      it('should push an operation its own new events in seq order and its terminal transition once', async () => {
        const op = await operationIn(sut, 'running');
        const other = await operationIn(sut, 'running');
        const received: OperationEvent[] = [];
        const finished: Operation[] = [];
        const unsubscribe = sut.events.subscribe(op.id, { onEvent: (e) => received.push(e), onFinished: (o) => finished.push(o) });
        await sut.appendLogs(op.id, [logLine('one'), logLine('two')]);
        await sut.appendLogs(other.id, [logLine('not mine')]);
        await sut.recordProgress(op.id, progressAt(50));
        await sut.appendMetric(op.id, { epoch: 1, train_loss: 0.7 });
        await sut.markCompleted(op.id, MODEL_RESULT);
        const stored = await sut.eventsSince(op.id, 0);
        expect(received).toEqual(stored.slice(2)); // everything after subscribing, exactly as stored
        expect(finished.map((o) => [o.id, o.status])).toEqual([[op.id, 'completed']]);
        unsubscribe();
        expect(sut.events.subscriberCount()).toBe(0);
        await sut.appendLogs(op.id, [logLine('after unsubscribe')]);
        expect(received).toHaveLength(stored.length - 2);
      });

      it('should deliver after the write is visible, so a listener may read the store', async () => {
        const op = await operationIn(sut, 'running');
        const seen: OperationStatus[] = [];
        sut.events.on('finished', (finishedOp) => {
          void sut.get(finishedOp.id).then((o) => seen.push(o.status));
        });
        await sut.markFailed(op.id, TRAINING_ERROR);
        await new Promise((resolve) => setImmediate(resolve));
        expect(seen).toEqual(['failed']);
      });

      it('should survive a throwing listener and report its error', async () => {
        const op = await operationIn(sut, 'running');
        const errors: unknown[] = [];
        const delivered: string[] = [];
        sut.events.on('error', (error) => errors.push(error));
        sut.events.on('event', () => {
          throw new Error('listener bug');
        });
        sut.events.subscribe(op.id, {
          onEvent: () => {
            throw new Error('subscriber bug');
          },
        });
        sut.events.subscribe(op.id, { onEvent: (e) => delivered.push(e.kind) });
        await sut.appendLogs(op.id, [logLine('still stored')]);
        const done = await sut.markCompleted(op.id, MODEL_RESULT);
        expect(done.status).toBe('completed');
        expect(delivered).toEqual(['log', 'status']);
        expect(errors.map((e) => (e as Error).message)).toEqual(['listener bug', 'subscriber bug', 'listener bug', 'subscriber bug']);
        expect(await sut.logs(op.id)).toEqual([logLine('still stored')]);
      });
    });

    it('should close idempotently', async () => {
      await sut.close();
      await sut.close();
    });
  });
}
