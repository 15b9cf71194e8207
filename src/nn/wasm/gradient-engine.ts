import { KtrdrError } from '../../errors.js';
import { activateInPlace, multiplyByActivationGradient } from '../cpu/activations.js';
import { softmaxCrossEntropy } from '../loss.js';
import { PREDICT_CHUNK_ROWS } from '../predict.js';
import { layerShapes, parameterCount, type Activation, type LayerShape, type MlpSpec } from '../spec.js';
import { instantiateKernels, type WasmKernels } from './kernel-module.js';
import { sumPairwise } from './reduction-tree.js';
import { WasmArena } from './wasm-arena.js';

/**
 * Rows per micro-batch. A batch is cut into micro-batches of this many rows (the last may be shorter); each one's
 * gradient is a sum over its rows in order, and the batch gradient is their sum in a fixed tree (reduction-tree.ts).
 * Which thread computes a micro-batch changes nothing, so the weights do not depend on the thread count.
 */
export const MICRO_BATCH_ROWS = 32;

/** mulberry32 adds this to its state per draw, so the state after n draws is state + n·this (mod 2³²). */
const RNG_INCREMENT = 0x6d2b79f5;

/** The dropout generator's state `draws` draws after `state`: how a micro-batch finds its place in the mask order. */
export function advanceRng(state: number, draws: number): number {
  return (state + Math.imul(draws, RNG_INCREMENT)) >>> 0;
}

/** Dropout draws one batch of `rows` rows consumes: one per hidden unit per row. */
export function dropoutDraws(spec: MlpSpec, rows: number): number {
  return spec.dropout > 0 ? rows * spec.hidden.reduce((sum, width) => sum + width, 0) : 0;
}

/** A batch: where it starts in the epoch order, its rows, the dropout generator at its start, its Σ class weight. */
export interface BatchPosition {
  readonly start: number;
  readonly rows: number;
  /** Null for no dropout. */
  readonly rngState: number | null;
  readonly totalWeight: number;
}

export interface MicroBatchResult {
  /** The micro-batch's own weighted mean loss. */
  readonly loss: number;
  readonly weightSum: number;
  readonly correct: number;
}

/** Where a training's parameters lie in its shared memory (byte offsets): what every one of its threads reads. */
export interface NetworkLayout {
  readonly spec: MlpSpec;
  /** Parameter count: `params` and every gradient buffer hold that many floats in the canonical flat order. */
  readonly size: number;
  readonly params: number;
  /** Each layer's Wᵀ, which the forward products read; the backend refreshes them after every change of `params`. */
  readonly transposed: readonly number[];
}

/** Where the training rows lie in the shared memory: features (row-major), labels and the epoch's row order. */
export interface DataLayout {
  readonly x: number;
  readonly labels: number;
  readonly order: number;
  readonly rows: number;
}

/** Lays out the parameters and Wᵀ of `spec` (the backend, once per training). */
export function allocateNetwork(arena: WasmArena, spec: MlpSpec): NetworkLayout {
  const size = parameterCount(spec);
  return {
    spec,
    size,
    params: arena.allocate(size),
    transposed: layerShapes(spec).map((shape) => arena.allocate(shape.inputs * shape.outputs)),
  };
}

/**
 * Copies the training rows into the shared memory, into `previous`'s regions when they are big enough (the backend, at
 * `setTrainData`). The order region is filled per epoch (`GradientEngine.setOrder`).
 */
export function storeData(arena: WasmArena, spec: MlpSpec, x: Float32Array, y: Int32Array, rows: number, previous: DataLayout | null): DataLayout {
  if (x.length !== rows * spec.inputs || y.length !== rows) {
    throw new KtrdrError('VALIDATION_FAILED', `Training data does not match ${rows} rows × ${spec.inputs} features`);
  }
  const at =
    previous !== null && previous.rows >= rows
      ? previous
      : { x: arena.allocate(rows * spec.inputs), labels: arena.allocate(rows), order: arena.allocate(rows) };
  arena.f32(at.x, rows * spec.inputs).set(x);
  arena.i32(at.labels, rows).set(y);
  return { x: at.x, labels: at.labels, order: at.order, rows };
}

/**
 * One thread's wasm instance over a training's shared memory, and its own buffers there: a micro-batch's forward and
 * backward pass, the gradient slots of the micro-batches it computes, an inference pass. The parameters, Wᵀ and the
 * training rows are the training's (NetworkLayout, DataLayout): read in place by every thread, written by the backend
 * alone, between batches. The wasm-simd backend owns one engine; each of its gradient workers owns another.
 *
 * The steps are mlp-pass.ts's, dropout masks included: the generator is positioned for every layer of every
 * micro-batch exactly where js-cpu's sequential draw (layer by layer, row-major over the batch) would be.
 */
export class GradientEngine {
  readonly kernels: WasmKernels;
  readonly arena: WasmArena;
  readonly spec: MlpSpec;
  /** Parameter count. */
  readonly size: number;
  /** Where the parameters lie. */
  readonly params: number;
  private readonly layers: readonly LayerOffsets[];
  private readonly training: PassRegions;
  private inference: PassRegions | null = null;
  private readonly labels = new Int32Array(MICRO_BATCH_ROWS);
  /** Parameter-sized gradient buffers, one per micro-batch of the most this thread has computed in one batch. */
  private readonly slots: number[] = [];
  private data: { layout: DataLayout; order: Int32Array; labels: Int32Array } | null = null;

  constructor(
    memory: WebAssembly.Memory,
    readonly network: NetworkLayout,
    private readonly classWeights: Float32Array | null,
  ) {
    this.kernels = instantiateKernels(memory);
    this.arena = new WasmArena(memory);
    this.spec = network.spec;
    this.size = network.size;
    this.params = network.params;
    const layers: LayerOffsets[] = [];
    let offset = 0;
    layerShapes(this.spec).forEach((shape, l) => {
      const weights = shape.inputs * shape.outputs;
      layers.push({ shape, W: offset * 4, b: (offset + weights) * 4, transposedW: network.transposed[l] });
      offset += weights + shape.outputs;
    });
    this.layers = layers;
    this.training = this.allocatePass(MICRO_BATCH_ROWS, true);
  }

  /** The training rows from now on (stored by `storeData`). */
  useData(layout: DataLayout): void {
    this.data = { layout, order: this.arena.i32(layout.order, layout.rows), labels: this.arena.i32(layout.labels, layout.rows) };
  }

  /** Writes the epoch's row order (checked by the caller) where every thread reads it. */
  setOrder(order: Int32Array): void {
    this.requireData().order.set(order);
  }

  /** Copies parameters in (canonical flat order) and refreshes Wᵀ. */
  loadParams(flat: Float32Array): void {
    this.arena.f32(this.params, this.size).set(flat);
    this.refreshTransposed();
  }

  refreshTransposed(): void {
    for (const { W, transposedW, shape } of this.layers) this.kernels.transpose(this.params + W, transposedW, shape.outputs, shape.inputs);
  }

  /**
   * The gradient of rows [offset, offset + rows) of the batch that starts at `batchStart` in the epoch order and has
   * `batchRows` rows, written to `target` (a parameter-sized buffer in this instance) and scaled so that the micro-batch
   * gradients of a batch sum to the batch's gradient (`totalWeight` = the batch's Σ class weight). `rngState` is the
   * dropout generator's state at the start of the batch, or null for no dropout.
   */
  private computeMicroBatch(
    batchStart: number,
    batchRows: number,
    offset: number,
    rows: number,
    rngState: number | null,
    totalWeight: number,
    target: number,
  ): MicroBatchResult {
    const { layout, order, labels } = this.requireData();
    const { kernels, arena, spec, training: pass } = this;
    kernels.gatherRows(layout.x, layout.order, batchStart + offset, rows, spec.inputs, pass.input);
    for (let r = 0; r < rows; r++) this.labels[r] = labels[order[batchStart + offset + r]];
    this.forward(pass, rows, rngState === null ? null : { state: rngState, batchRows, offset });
    const gradLogits = arena.f32(pass.gradLogits, rows * spec.outputs);
    const result = softmaxCrossEntropy(arena.f32(pass.logits, rows * spec.outputs), this.labels, rows, spec.outputs, this.classWeights, gradLogits);
    // softmaxCrossEntropy scales by 1/(this micro-batch's weight); the batch gradient needs 1/(the batch's weight).
    if (result.weightSum !== totalWeight) {
      const scale = totalWeight > 0 ? result.weightSum / totalWeight : 0;
      for (let i = 0; i < gradLogits.length; i++) gradLogits[i] *= scale;
    }
    this.backward(pass, rows, rngState !== null, target);
    return { loss: result.loss, weightSum: result.weightSum, correct: result.correct };
  }

  /**
   * Micro-batches [first, first + count) of `batch` into this thread's gradient slots [into, into + count), summed with
   * the fixed tree; returns where the sum lies (it stays there until those slots are used again, so every thread can
   * read it). `results[j]` receives micro-batch j's loss, weight and hits.
   */
  computeBlock(batch: BatchPosition, first: number, count: number, into: number, results: MicroBatchResult[]): number {
    this.reserveSlots(into + count);
    const { slots } = this;
    for (let i = 0; i < count; i++) {
      const offset = (first + i) * MICRO_BATCH_ROWS;
      const rows = Math.min(MICRO_BATCH_ROWS, batch.rows - offset);
      results[first + i] = this.computeMicroBatch(batch.start, batch.rows, offset, rows, batch.rngState, batch.totalWeight, slots[into + i]);
    }
    sumPairwise(count, (target, source) => this.addGradients(slots[into + target], slots[into + source]));
    return slots[into];
  }

  /** Adds the parameter-sized gradient at `source` into the one at `target` (pointers into the shared memory). */
  readonly addGradients = (target: number, source: number): void => this.kernels.addInto(target, source, this.size);

  /** Makes sure gradient slots [0, count) exist. */
  private reserveSlots(count: number): void {
    while (this.slots.length < count) this.slots.push(this.arena.allocate(this.size));
  }

  /** Logits of `rows` rows with dropout off, chunk by chunk. */
  predictChunk(x: Float32Array, rows: number, out: Float32Array, outOffset: number): void {
    const { inputs, outputs } = this.spec;
    const pass = (this.inference ??= this.allocatePass(PREDICT_CHUNK_ROWS, false));
    this.arena.f32(pass.input, rows * inputs).set(x);
    this.forward(pass, rows, null);
    out.set(this.arena.f32(pass.logits, rows * outputs), outOffset);
  }

  private requireData(): NonNullable<GradientEngine['data']> {
    if (this.data === null) throw new KtrdrError('TRAINING_FAILED', 'runEpoch called before setTrainData');
    return this.data;
  }

  private allocatePass(rows: number, forTraining: boolean): PassRegions {
    const { arena, spec } = this;
    const withDropout = forTraining && spec.dropout > 0;
    return {
      input: arena.allocate(rows * spec.inputs),
      hidden: spec.hidden.map((width) => {
        const activated = arena.allocate(rows * width);
        return {
          activated,
          dropped: withDropout ? arena.allocate(rows * width) : activated,
          mask: withDropout ? arena.allocate(rows * width) : 0,
          gradient: forTraining ? arena.allocate(rows * width) : 0,
        };
      }),
      logits: arena.allocate(rows * spec.outputs),
      gradLogits: forTraining ? arena.allocate(rows * spec.outputs) : 0,
    };
  }

  /** mlp-pass.ts forwardPass. */
  private forward(pass: PassRegions, rows: number, dropout: { state: number; batchRows: number; offset: number } | null): void {
    const { kernels, arena, spec, layers, params } = this;
    const kind = FUSED_ACTIVATION[spec.activation];
    const keep = 1 - spec.dropout;
    let input = pass.input;
    let drawsBefore = 0;
    for (let l = 0; l < spec.hidden.length; l++) {
      const { shape, transposedW, b } = layers[l];
      const regions = pass.hidden[l];
      kernels.gemmNN(input, transposedW, regions.activated, rows, shape.outputs, shape.inputs, params + b, kind);
      const length = rows * shape.outputs;
      if (kind === NOT_FUSED) activateInPlace(spec.activation, arena.f32(regions.activated, length), length);
      if (dropout !== null) {
        kernels.setRngState(advanceRng(dropout.state, drawsBefore + dropout.offset * shape.outputs));
        drawsBefore += dropout.batchRows * shape.outputs;
        // u/2³² < keep, tested in the module as u < keep·2³²: both sides exact, so the same draws keep the same units.
        kernels.dropout(regions.activated, regions.dropped, regions.mask, length, keep * 4294967296, 1 / keep);
        input = regions.dropped;
      } else {
        input = regions.activated;
      }
    }
    const output = layers[layers.length - 1];
    kernels.gemmNN(input, output.transposedW, pass.logits, rows, output.shape.outputs, output.shape.inputs, params + output.b, NOT_FUSED);
  }

  /** mlp-pass.ts backwardPass, from `pass.gradLogits` into the gradient buffer at `target`. */
  private backward(pass: PassRegions, rows: number, dropout: boolean, target: number): void {
    const { kernels, arena, spec, layers, params } = this;
    const kind = FUSED_ACTIVATION[spec.activation];
    let gradOutput = pass.gradLogits;
    for (let l = layers.length - 1; l >= 0; l--) {
      const { shape, W, b } = layers[l];
      const below = l > 0 ? pass.hidden[l - 1] : null;
      const layerInput = below === null ? pass.input : dropout ? below.dropped : below.activated;
      kernels.gemmTN(gradOutput, layerInput, target + W, rows, shape.outputs, shape.inputs);
      kernels.columnSums(gradOutput, target + b, rows, shape.outputs);
      if (below === null) break;
      kernels.gemmNN(gradOutput, params + W, below.gradient, rows, shape.inputs, shape.outputs, 0, NOT_FUSED);
      const length = rows * shape.inputs;
      const mask = dropout ? below.mask : 0;
      if (kind === NOT_FUSED) {
        const maskView = mask === 0 ? null : arena.f32(mask, length);
        multiplyByActivationGradient(spec.activation, arena.f32(below.activated, length), arena.f32(below.gradient, length), length, maskView);
      } else {
        kernels.activationGradient(kind, below.activated, below.gradient, mask, length);
      }
      gradOutput = below.gradient;
    }
  }
}

/** Activation codes of the kernels; tanh and sigmoid run in JS after the product (they need exp). */
const NOT_FUSED = 0;
const FUSED_ACTIVATION: Record<Activation, number> = { relu: 1, leaky_relu: 2, tanh: NOT_FUSED, sigmoid: NOT_FUSED };

/** One layer: byte offsets of W and b within any parameter-sized buffer, and where its Wᵀ lives. */
interface LayerOffsets {
  readonly shape: LayerShape;
  readonly W: number;
  readonly b: number;
  readonly transposedW: number;
}

/** A forward (and, for training, backward) pass's buffers; 0 = not allocated. */
interface PassRegions {
  readonly input: number;
  readonly hidden: readonly { activated: number; dropped: number; mask: number; gradient: number }[];
  readonly logits: number;
  readonly gradLogits: number;
}
