import { describe, expect, it } from 'vitest';
import { KtrdrError } from '../../src/errors.js';
import type { Operation } from '../../src/operations/operation.js';
import { ParentRuns } from '../../src/sweeps/parent-runs.js';

/** A promise settled from outside, standing for a parent's scheduling loop. */
function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

describe('ParentRuns', () => {
  it('should keep the state of a running parent until it ends, and wait for it', async () => {
    const runs = new ParentRuns<string[]>({ requestCancel: () => Promise.reject(new Error('not called')) }, 'sweeps');
    const run = deferred();
    runs.add('op_1', ['a'], run.promise);
    expect(runs.state('op_1')).toEqual(['a']);
    expect(runs.state('op_other')).toBeUndefined();
    await runs.whenFinished('op_other');

    let waited = false;
    const waiting = runs.whenFinished('op_1').then(() => (waited = true));
    await Promise.resolve();
    expect(waited).toBe(false);
    run.resolve();
    await waiting;
    expect(runs.state('op_1')).toBeUndefined();
  });

  it('should cancel every running parent on close, wait for each to end, and refuse new ones', async () => {
    const cancelled: { id: string; reason?: string }[] = [];
    const runs = new ParentRuns<null>(
      {
        requestCancel: (id, options) => {
          cancelled.push({ id, reason: options?.reason });
          // One store refusal (the parent ended meanwhile) must not keep the others from being cancelled.
          return id === 'op_1' ? Promise.reject(new KtrdrError('OPERATION_NOT_FOUND', 'gone')) : Promise.resolve({} as Operation);
        },
      },
      'walk-forwards',
    );
    const first = deferred();
    const second = deferred();
    runs.add('op_1', null, first.promise);
    runs.add('op_2', null, second.promise);
    runs.refuseIfClosing();

    let closed = false;
    const closing = runs.close('stopping').then(() => (closed = true));
    await new Promise((r) => setImmediate(r));
    expect(cancelled).toEqual([
      { id: 'op_1', reason: 'stopping' },
      { id: 'op_2', reason: 'stopping' },
    ]);
    expect(() => runs.refuseIfClosing()).toThrow(
      expect.objectContaining({ code: 'SHUTTING_DOWN', message: expect.stringContaining('no new walk-forwards') }),
    );
    first.resolve();
    await new Promise((r) => setImmediate(r));
    expect(closed).toBe(false);
    second.resolve();
    await closing;
    expect(runs.state('op_2')).toBeUndefined();
  });
});
