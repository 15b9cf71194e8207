import { KtrdrError } from '../errors.js';
import type { ExecutorCapacity, RunObserver, RunOutcome } from './executor.js';

/**
 * One job in a `SlotQueue`: waiting for a slot, then holding one until its executor releases it. The outcome
 * settles once; whatever settles it later (a late worker message, a second cancel) is ignored.
 */
export class Slot<J> {
  readonly outcome: Promise<RunOutcome>;
  /** Set by the first cancel; the executor's `launch` must look at it (a job may be cancelled as it starts). */
  cancelled = false;
  /** How a job that holds a slot is asked to stop; set by the executor when it launches the job. */
  stop: (() => void) | undefined;
  private settleOutcome!: (outcome: RunOutcome) => void;
  private settled = false;

  constructor(
    readonly job: J,
    readonly observer: RunObserver,
  ) {
    this.outcome = new Promise((resolve) => (this.settleOutcome = resolve));
  }

  settle(outcome: RunOutcome): void {
    if (this.settled) return;
    this.settled = true;
    this.settleOutcome(outcome);
  }
}

export interface SlotQueueHooks<J> {
  /** How many jobs may hold a slot now; read at every admission (a host's capacity can change with its health). */
  slots(): number;
  /** Starts a job that was just given a slot. It must call `release` once the slot is free again. */
  launch(slot: Slot<J>): void;
}

/**
 * The FIFO of jobs waiting for a slot and the set of jobs holding one, with cancel for both: the part every executor
 * shares. A queued job that is cancelled leaves the queue and settles `cancelled` (never started); a running one is
 * asked to stop through `slot.stop` and settles when its executor says it has.
 */
export class SlotQueue<J> {
  private readonly waiting: Slot<J>[] = [];
  private readonly holding = new Set<Slot<J>>();
  private closed = false;

  constructor(private readonly hooks: SlotQueueHooks<J>) {}

  /** Queues a job behind the ones already waiting and starts it when a slot is free. */
  enqueue(job: J, observer: RunObserver): Slot<J> {
    // A job queued after close would wait forever: refuse it instead.
    if (this.closed) throw new KtrdrError('SHUTTING_DOWN', 'the executor is closed and accepts no new runs');
    const slot = new Slot(job, observer);
    this.waiting.push(slot);
    this.admitWaiting();
    return slot;
  }

  /** Gives a job a slot at once, ahead of the queue: for a run that already holds one elsewhere (re-attaching). */
  admit(job: J, observer: RunObserver): Slot<J> {
    const slot = new Slot(job, observer);
    this.holding.add(slot);
    this.hooks.launch(slot);
    return slot;
  }

  /** The slot is free again: the next waiting job may start. Idempotent. */
  release(slot: Slot<J>): void {
    if (!this.holding.delete(slot)) return;
    this.admitWaiting();
  }

  cancel(slot: Slot<J>): void {
    if (slot.cancelled) return;
    slot.cancelled = true;
    const at = this.waiting.indexOf(slot);
    if (at >= 0) {
      this.waiting.splice(at, 1);
      slot.settle({ status: 'cancelled', started: false });
      return;
    }
    slot.stop?.();
  }

  /** Jobs holding a slot, for an executor that lets go of them in its own way (detaching, waiting for threads). */
  running(): Slot<J>[] {
    return [...this.holding];
  }

  capacity(): ExecutorCapacity {
    return { slots: this.hooks.slots(), running: this.holding.size, queued: this.waiting.length };
  }

  /** No job starts any more; every waiting and running job is cancelled. */
  close(): void {
    this.closed = true;
    for (const slot of [...this.waiting, ...this.holding]) this.cancel(slot);
  }

  private admitWaiting(): void {
    while (!this.closed && this.holding.size < this.hooks.slots() && this.waiting.length > 0) {
      const slot = this.waiting.shift()!;
      this.holding.add(slot);
      this.hooks.launch(slot);
    }
  }
}
