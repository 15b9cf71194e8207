import type { MessagePort } from 'node:worker_threads';
import type { DataLayout, NetworkLayout } from './gradient-engine.js';
import { treeLevels, sumOnArrival } from './reduction-tree.js';

/**
 * What the wasm-simd backend and its gradient workers share. A pool takes idle workers and sends each an assignment
 * (the training's wasm memory and where the network lies in it, the shared buffers, a port); batches then go through
 * shared memory and Atomics (a message round trip per batch would cost as much as the work on small batches);
 * everything else (where the data lies, bigger buffers, the release at the end) is a message the worker pulls
 * synchronously from the port when told to.
 */

/**
 * Int32 slots of the control buffer. A batch's MICRO_BATCHES micro-batches are claimed one at a time by every thread,
 * the backend's included, from the NEXT_MICRO_BATCH counter: a thread that the machine holds up (another tenant, an
 * interrupt) leaves the rest to the others instead of holding up the batch, and which thread computed a micro-batch
 * changes nothing in the sum (reduction-tree.ts). Inference chunks are handed out in fixed shares: worker w
 * computes chunks [control[FIRST_ASSIGNMENT + 2w], control[FIRST_ASSIGNMENT + 2w + 1]).
 */
export const CONTROL = {
  GENERATION: 0,
  DONE: 1,
  KIND: 2,
  START: 3,
  ROWS: 4,
  RNG_STATE: 5,
  HAS_RNG: 6,
  FAILED: 7,
  /** How many workers sleep in Atomics.wait on GENERATION, and whether the backend sleeps on DONE. */
  WORKERS_ASLEEP: 8,
  BACKEND_ASLEEP: 9,
  MICRO_BATCHES: 10,
  NEXT_MICRO_BATCH: 11,
  /** Bytes of the failure text a failed worker left in the failure buffer. */
  FAILURE_LENGTH: 12,
  FIRST_ASSIGNMENT: 13,
} as const;

export const KIND_BATCH = 1;
export const KIND_MESSAGE = 2;
/** Logits of inference chunks [FIRST_ASSIGNMENT…] of a ROWS-row input, from and into the predict buffers. */
export const KIND_PREDICT = 3;

/** Float64 slots of the numbers buffer: the batch's total class weight, then (loss, weight, correct) per micro-batch. */
export const TOTAL_WEIGHT = 0;
export const RESULT_BASE = 1;

/**
 * Where each micro-batch's gradient lies in the wasm memory, and an arrival counter per node of the tree above them:
 * what the backend and its workers share so that whichever thread finishes a micro-batch adds what it can up the tree
 * (reduction-tree.ts `sumOnArrival`). Sized for `capacity` micro-batches; the backend clears the counters before each
 * batch.
 */
export class SharedGradientSums {
  private readonly pointers: Int32Array;
  private readonly arrivals: Int32Array;
  private readonly secondToArrive = (level: number, left: number): boolean => Atomics.add(this.arrivals, level * this.capacity + left, 1) === 1;

  constructor(
    readonly buffer: SharedArrayBuffer,
    readonly capacity: number,
  ) {
    this.pointers = new Int32Array(buffer, 0, capacity);
    this.arrivals = new Int32Array(buffer, 4 * capacity);
  }

  static create(capacity: number): SharedGradientSums {
    return new SharedGradientSums(new SharedArrayBuffer(4 * capacity * (1 + Math.max(1, treeLevels(capacity)))), capacity);
  }

  /** Before a batch, while no thread works on one. */
  clear(): void {
    this.arrivals.fill(0);
  }

  /**
   * Records that micro-batch `index` of `count` has its gradient at `pointer`, and adds up the tree as far as this
   * thread is the second to arrive. `addInto(target, source)` adds the gradient at `source` into the one at `target`.
   */
  deliver(index: number, count: number, pointer: number, addInto: (target: number, source: number) => void): void {
    this.pointers[index] = pointer;
    sumOnArrival(index, count, this.secondToArrive, (target, source) => addInto(this.pointers[target], this.pointers[source]));
  }

  /** Where the batch's gradient lies, once every micro-batch has been delivered. */
  total(): number {
    return this.pointers[0];
  }
}

export interface GradientWorkerAssignment {
  /** The compiled kernels (kernel-module.ts `adoptKernels`). */
  readonly kernels: WebAssembly.Module;
  /** The training's memory (wasm-arena.ts): parameters, Wᵀ and data in place, and room for the worker's buffers. */
  readonly memory: WebAssembly.Memory;
  readonly network: NetworkLayout;
  readonly classWeights: Float32Array | null;
  readonly control: SharedArrayBuffer;
  /** FAILURE_BYTES bytes where a failing worker writes what went wrong (see `recordFailure`). */
  readonly failure: SharedArrayBuffer;
  /** Which of the pool's workers this is: where its assignment sits in the control buffer. */
  readonly index: number;
  readonly port: MessagePort;
}

export type GradientWorkerMessage =
  | { readonly kind: 'data'; readonly layout: DataLayout }
  | { readonly kind: 'gradient-sums'; readonly buffer: SharedArrayBuffer; readonly capacity: number }
  | { readonly kind: 'numbers'; readonly buffer: SharedArrayBuffer }
  | { readonly kind: 'predict-buffers'; readonly input: SharedArrayBuffer; readonly logits: SharedArrayBuffer }
  /** The training is over: the worker drops everything and waits for its next assignment. */
  | { readonly kind: 'release' };

/** Room for a failure text: enough for an error message, never a whole stack. */
export const FAILURE_BYTES = 1024;

/**
 * Records a worker's failure where the backend reads it as soon as it wakes: a message would only arrive once the
 * backend's event loop runs again, after it has already thrown.
 */
export function recordFailure(control: Int32Array, failure: SharedArrayBuffer, error: unknown): void {
  const text = new TextEncoder().encode(error instanceof Error ? `${error.name}: ${error.message}` : String(error));
  const length = Math.min(text.length, FAILURE_BYTES);
  new Uint8Array(failure).set(text.subarray(0, length));
  control[CONTROL.FAILURE_LENGTH] = length;
  Atomics.store(control, CONTROL.FAILED, 1);
}

/** The text `recordFailure` left, or null while no worker has failed. */
export function recordedFailure(control: Int32Array, failure: SharedArrayBuffer): string | null {
  if (Atomics.load(control, CONTROL.FAILED) !== 1) return null;
  // TextDecoder does not read shared memory: decode a copy.
  return new TextDecoder().decode(new Uint8Array(failure, 0, control[CONTROL.FAILURE_LENGTH]).slice());
}

/**
 * How long a side spins on a control slot before it sleeps in Atomics.wait. Waking a sleeping thread (futex) takes
 * 0.1–0.3 ms on the machines this runs on, as long as the work of a whole batch, while the serial step between two
 * batches (last additions, optimizer step) and the wait for the last micro-batch take tens of microseconds: spinning through
 * them keeps the wake-up off the critical path. Not much longer, though: when other processes load the cores, the
 * thread being waited for may be descheduled for milliseconds, and a spinning thread then takes the core it needs.
 * Measured on 2 cores with another process busy: with a 2 ms spin an epoch on two threads took 3–8× as long as on one
 * thread under the same load, with this one 1.6×.
 */
const SPIN_MS = 0.2;

/**
 * Waits until `ready(control[slot])`, spinning first and then sleeping; `asleep` is the counter slot that tells the
 * other side to notify. Returns the value that satisfied `ready`.
 */
export function waitUntil(control: Int32Array, slot: number, asleep: number, ready: (value: number) => boolean): number {
  let value = Atomics.load(control, slot);
  const deadline = performance.now() + SPIN_MS;
  for (let spins = 1; !ready(value); spins++) {
    if ((spins & 1023) === 0 && performance.now() > deadline) return sleepUntil(control, slot, asleep, ready);
    value = Atomics.load(control, slot);
  }
  return value;
}

function sleepUntil(control: Int32Array, slot: number, asleep: number, ready: (value: number) => boolean): number {
  // Counted before the slot is read again: a waker that changes the slot and then sees no sleeper did so before this
  // read (both are sequentially consistent), so the change is seen here and Atomics.wait is not entered.
  Atomics.add(control, asleep, 1);
  try {
    let value = Atomics.load(control, slot);
    while (!ready(value)) {
      Atomics.wait(control, slot, value);
      value = Atomics.load(control, slot);
    }
    return value;
  } finally {
    Atomics.sub(control, asleep, 1);
  }
}

/** After changing `control[slot]`: wakes whoever sleeps on it (the notify is a system call, so only when needed). */
export function wakeSleepers(control: Int32Array, slot: number, asleep: number): void {
  if (Atomics.load(control, asleep) > 0) Atomics.notify(control, slot);
}
