import type { MlpSpec } from '../spec.js';

/**
 * What the wasm-simd backend and its gradient workers share. Batches go through shared memory and Atomics (a message
 * round trip per batch would cost as much as the work on small batches); everything else (data, epoch order, bigger
 * buffers, exit) is a message the worker pulls synchronously when told to.
 */

/** Int32 slots of the control buffer; per worker w, its micro-batches are [FIRST_ASSIGNMENT + 2w, … + 2w + 1). */
export const CONTROL = {
  GENERATION: 0,
  DONE: 1,
  KIND: 2,
  START: 3,
  ROWS: 4,
  RNG_STATE: 5,
  HAS_RNG: 6,
  FAILED: 7,
  FIRST_ASSIGNMENT: 8,
} as const;

export const KIND_BATCH = 1;
export const KIND_MESSAGE = 2;

/** Float64 slots: the batch's total class weight, then (loss, weight, correct) per micro-batch. */
export const TOTAL_WEIGHT = 0;
export const RESULT_BASE = 1;

export interface GradientWorkerData {
  readonly spec: MlpSpec;
  readonly classWeights: Float32Array | null;
  readonly control: SharedArrayBuffer;
  readonly params: SharedArrayBuffer;
  readonly index: number;
}

export type GradientWorkerMessage =
  | { readonly kind: 'data'; readonly x: Float32Array; readonly y: Int32Array; readonly rows: number }
  | { readonly kind: 'order'; readonly order: Int32Array }
  | { readonly kind: 'gradients'; readonly buffer: SharedArrayBuffer }
  | { readonly kind: 'numbers'; readonly buffer: SharedArrayBuffer }
  | { readonly kind: 'exit' };
