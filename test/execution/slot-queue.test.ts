import { describe, expect, it } from 'vitest';
import type { RunOutcome } from '../../src/execution/executor.js';
import { SlotQueue, type Slot } from '../../src/execution/slot-queue.js';

/** A queue whose launches are recorded and whose running jobs stop only when the test says so. */
function queueWith(initialSlots: number) {
  let slots = initialSlots;
  const launched: string[] = [];
  const stopsAsked: string[] = [];
  const sut: SlotQueue<string> = new SlotQueue<string>({
    slots: () => slots,
    launch: (slot) => {
      launched.push(slot.job);
      slot.stop = () => stopsAsked.push(slot.job);
    },
  });
  return { sut, launched, stopsAsked, setSlots: (n: number) => (slots = n) };
}

/** The outcome if it has settled by now, else undefined. */
async function settledOutcome(slot: Slot<string>): Promise<RunOutcome | undefined> {
  return Promise.race([slot.outcome, new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 0))]);
}

describe(SlotQueue.name, () => {
  it('should launch jobs in FIFO order as slots free', () => {
    const { sut, launched } = queueWith(2);
    const [a, b] = ['a', 'b', 'c', 'd'].map((job) => sut.enqueue(job, {}));
    expect(launched).toEqual(['a', 'b']);
    expect(sut.capacity()).toEqual({ slots: 2, running: 2, queued: 2 });
    sut.release(b);
    expect(launched).toEqual(['a', 'b', 'c']);
    sut.release(a);
    expect(launched).toEqual(['a', 'b', 'c', 'd']);
    expect(sut.capacity()).toEqual({ slots: 2, running: 2, queued: 0 });
  });

  it('should read the slot count at every admission', () => {
    const { sut, launched, setSlots } = queueWith(1);
    const a = sut.enqueue('a', {});
    sut.enqueue('b', {});
    sut.enqueue('c', {});
    setSlots(3);
    // Nothing is admitted until something happens: a release (or a new job) looks at the slot count again.
    expect(launched).toEqual(['a']);
    sut.release(a);
    expect(launched).toEqual(['a', 'b', 'c']);
  });

  it('should drop a cancelled queued job, settling it cancelled without starting it', async () => {
    const { sut, launched, stopsAsked } = queueWith(1);
    const a = sut.enqueue('a', {});
    const b = sut.enqueue('b', {});
    sut.cancel(b);
    expect(await b.outcome).toEqual({ status: 'cancelled', started: false });
    expect(b.cancelled).toBe(true);
    sut.release(a);
    expect(launched).toEqual(['a']);
    expect(stopsAsked).toEqual([]);
    expect(sut.capacity()).toEqual({ slots: 1, running: 0, queued: 0 });
  });

  it('should ask a running job to stop once, and keep its slot until the executor releases it', async () => {
    const { sut, launched, stopsAsked } = queueWith(1);
    const a = sut.enqueue('a', {});
    sut.enqueue('b', {});
    sut.cancel(a);
    sut.cancel(a);
    expect(stopsAsked).toEqual(['a']);
    expect(await settledOutcome(a)).toBeUndefined();
    expect(launched).toEqual(['a']);
    a.settle({ status: 'cancelled', started: true });
    sut.release(a);
    expect(await a.outcome).toEqual({ status: 'cancelled', started: true });
    expect(launched).toEqual(['a', 'b']);
  });

  it('should keep the first outcome of a slot', async () => {
    const { sut } = queueWith(1);
    const a = sut.enqueue('a', {});
    a.settle({ status: 'failed', error: { code: 'TRAINING_FAILED', message: 'first' } });
    a.settle({ status: 'cancelled', started: true });
    expect(await a.outcome).toMatchObject({ status: 'failed', error: { message: 'first' } });
  });

  it('should admit a job at once, ahead of the queue and beyond the slot count', () => {
    const { sut, launched } = queueWith(1);
    const a = sut.enqueue('a', {});
    sut.enqueue('b', {});
    const attached = sut.admit('attached', {});
    expect(launched).toEqual(['a', 'attached']);
    expect(sut.capacity()).toEqual({ slots: 1, running: 2, queued: 1 });
    expect(sut.running()).toEqual([a, attached]);
    // Its slot counts like any other: the waiting job starts only once both have been released.
    sut.release(a);
    expect(launched).toEqual(['a', 'attached']);
    sut.release(attached);
    expect(launched).toEqual(['a', 'attached', 'b']);
  });

  it('should make release idempotent, so a second release frees no other slot', () => {
    const { sut, launched } = queueWith(1);
    const a = sut.enqueue('a', {});
    sut.enqueue('b', {});
    sut.enqueue('c', {});
    sut.release(a);
    sut.release(a);
    expect(launched).toEqual(['a', 'b']);
    expect(sut.capacity()).toEqual({ slots: 1, running: 1, queued: 1 });
  });

  it('should cancel every waiting and running job on close', async () => {
    const { sut, launched, stopsAsked } = queueWith(1);
    const a = sut.enqueue('a', {});
    const b = sut.enqueue('b', {});
    sut.close();
    expect(await b.outcome).toEqual({ status: 'cancelled', started: false });
    expect(stopsAsked).toEqual(['a']);
    sut.release(a);
    expect(launched).toEqual(['a']);
    expect(sut.capacity()).toEqual({ slots: 1, running: 0, queued: 0 });
  });

  it('should refuse a job queued after close instead of keeping it waiting forever', () => {
    const { sut, launched } = queueWith(1);
    sut.close();
    expect(() => sut.enqueue('late', {})).toThrow(expect.objectContaining({ code: 'SHUTTING_DOWN' }));
    expect(launched).toEqual([]);
  });
});
