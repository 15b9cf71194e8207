import { KtrdrError } from '../../errors.js';
import { clipGradientsByGlobalNorm } from '../adam.js';
import type { BackendState, BackendTrainingOptions, EpochStats, TrainBackend } from '../backend.js';
import { throwIfAborted } from '../cancellation.js';
import { activateInPlace, multiplyByActivationGradient } from '../cpu/activations.js';
import { checkEpochArguments, divergedBatchError } from '../epoch-arguments.js';
import { EventLoopYield } from '../event-loop-yield.js';
import { softmaxCrossEntropy } from '../loss.js';
import { PREDICT_CHUNK_ROWS } from '../predict.js';
import { layerShapes, parameterCount, type Activation, type LayerShape, type MlpSpec } from '../spec.js';
import { flattenWeights, weightsFromFlat, type MlpWeights } from '../weights.js';
import { instantiateKernels, type WasmKernels } from './kernel-module.js';
import { WasmArena } from './wasm-arena.js';

/**
 * The WebAssembly SIMD backend: the same steps as js-cpu (mlp-pass.ts), with the matrix products, bias, relu,
 * dropout, activation gradients and Adam in wasm kernels (assembly/kernels.ts). The loss and tanh/sigmoid stay in
 * JS (loss.ts, activations.ts): they need exp, V8's exp is the same on every machine, and their cost is tiny next to
 * the products.
 *
 * Determinism: kernels sum in a fixed order with plain SIMD128 (no FMA), so weights are bit-identical run to run and
 * machine to machine. They differ from js-cpu in the last bits, because js-cpu sums in float64.
 *
 * Dropout: the masks come from mulberry32 inside the module, drawn exactly as js-cpu draws them (layer by layer,
 * row-major, one draw per unit), so `dropoutRngState` means the same thing in both backends.
 */
export class WasmSimdBackend implements TrainBackend {
  readonly id = 'wasm-simd';
  readonly deterministic = true;

  private state: WasmState | null = null;
  private readonly yielder = new EventLoopYield();

  async init(weights: MlpWeights, options: BackendTrainingOptions): Promise<void> {
    const kernels = instantiateKernels();
    const arena = new WasmArena(kernels.memory);
    const { spec } = weights;
    const size = parameterCount(spec);
    const shapes = layerShapes(spec);
    const params = arena.allocate(size);
    const grads = arena.allocate(size);
    const layers: LayerRegions[] = [];
    let offset = 0;
    for (const shape of shapes) {
      const weightsLength = shape.inputs * shape.outputs;
      layers.push({
        shape,
        W: params + offset * 4,
        b: params + (offset + weightsLength) * 4,
        gradW: grads + offset * 4,
        gradB: grads + (offset + weightsLength) * 4,
        transposedW: arena.allocate(weightsLength),
      });
      offset += weightsLength + shape.outputs;
    }
    this.state = {
      kernels,
      arena,
      spec,
      options,
      size,
      params,
      grads,
      m: arena.allocate(size),
      v: arena.allocate(size),
      step: 0,
      layers,
      training: null,
      inference: null,
      data: null,
    };
    arena.f32(params, size).set(flattenWeights(weights));
    kernels.setRngState(options.dropoutSeed >>> 0);
    this.refreshTransposed();
  }

  async setTrainData(x: Float32Array, y: Int32Array, rows: number): Promise<void> {
    const state = this.requireState();
    const { inputs } = state.spec;
    if (x.length !== rows * inputs || y.length !== rows) {
      throw new KtrdrError('VALIDATION_FAILED', `Training data does not match ${rows} rows × ${inputs} features`);
    }
    const existing = state.data;
    const reuse = existing !== null && existing.capacity >= rows;
    const data = reuse
      ? { ...existing, y, rows }
      : { x: state.arena.allocate(rows * inputs), order: state.arena.allocate(rows), y, rows, capacity: rows };
    state.arena.f32(data.x, rows * inputs).set(x);
    state.data = data;
  }

  async runEpoch(
    order: Int32Array,
    batchSize: number,
    signal?: AbortSignal,
    onBatch?: (batchesDone: number, totalBatches: number) => void,
  ): Promise<EpochStats> {
    const state = this.requireState();
    const data = state.data;
    if (data === null) throw new KtrdrError('TRAINING_FAILED', 'runEpoch called before setTrainData');
    checkEpochArguments(order, batchSize, data.rows);
    if (order.length > data.capacity) throw new KtrdrError('TRAINING_FAILED', `Epoch order has ${order.length} rows, the data ${data.rows}`);
    const pass = this.passFor(state, 'training', batchSize);
    const { kernels, arena, spec, options } = state;
    const batchY = new Int32Array(batchSize);
    arena.i32(data.order, order.length).set(order);
    const totalBatches = Math.ceil(order.length / batchSize);
    const dropout = spec.dropout > 0;

    let lossSum = 0;
    let correct = 0;
    for (let batch = 0; batch < totalBatches; batch++) {
      throwIfAborted(signal);
      const start = batch * batchSize;
      const rows = Math.min(batchSize, order.length - start);
      kernels.gatherRows(data.x, data.order, start, rows, spec.inputs, pass.input);
      for (let r = 0; r < rows; r++) batchY[r] = data.y[order[start + r]];
      this.forward(state, pass, rows, dropout);
      const logits = arena.f32(pass.logits, rows * spec.outputs);
      const gradLogits = arena.f32(pass.gradLogits, rows * spec.outputs);
      const result = softmaxCrossEntropy(logits, batchY, rows, spec.outputs, options.classWeights, gradLogits);
      if (!Number.isFinite(result.loss)) throw divergedBatchError(result.loss, batch + 1, totalBatches);
      this.backward(state, pass, rows, dropout);
      if (options.gradientClip > 0) clipGradientsByGlobalNorm(arena.f32(state.grads, state.size), options.gradientClip);
      this.adamStep(state);
      lossSum += result.loss * rows;
      correct += result.correct;
      onBatch?.(batch + 1, totalBatches);
      if (this.yielder.due()) await this.yielder.now();
    }
    return { loss: order.length > 0 ? lossSum / order.length : 0, correct, samples: order.length };
  }

  async predictLogits(x: Float32Array, rows: number, signal?: AbortSignal): Promise<Float32Array> {
    const state = this.requireState();
    const { inputs, outputs } = state.spec;
    if (!Number.isInteger(rows) || rows < 0 || x.length !== rows * inputs) {
      throw new KtrdrError('VALIDATION_FAILED', `Expected ${rows} rows × ${inputs} features = ${rows * inputs} values, got ${x.length}`);
    }
    const pass = this.passFor(state, 'inference', PREDICT_CHUNK_ROWS);
    const logits = new Float32Array(rows * outputs);
    for (let start = 0; start < rows; start += PREDICT_CHUNK_ROWS) {
      throwIfAborted(signal);
      const end = Math.min(rows, start + PREDICT_CHUNK_ROWS);
      state.arena.f32(pass.input, (end - start) * inputs).set(x.subarray(start * inputs, end * inputs));
      this.forward(state, pass, end - start, false);
      logits.set(state.arena.f32(pass.logits, (end - start) * outputs), start * outputs);
      if (this.yielder.due()) await this.yielder.now();
    }
    return logits;
  }

  async getWeights(): Promise<MlpWeights> {
    const { arena, spec, params, size } = this.requireState();
    return weightsFromFlat(spec, arena.f32(params, size).slice());
  }

  async setWeights(weights: MlpWeights): Promise<void> {
    const state = this.requireState();
    if (parameterCount(weights.spec) !== state.size) {
      throw new KtrdrError('VALIDATION_FAILED', 'setWeights: the weights do not match the initialised network');
    }
    state.arena.f32(state.params, state.size).set(flattenWeights(weights));
    this.refreshTransposed();
  }

  async exportState(): Promise<BackendState> {
    const { arena, kernels, params, m, v, size, step } = this.requireState();
    return {
      params: arena.f32(params, size).slice(),
      optimizer: { step, m: arena.f32(m, size).slice(), v: arena.f32(v, size).slice() },
      dropoutRngState: kernels.getRngState() >>> 0,
    };
  }

  async importState(saved: BackendState): Promise<void> {
    const state = this.requireState();
    const { size, arena } = state;
    if (saved.params.length !== size || saved.optimizer.m.length !== size || saved.optimizer.v.length !== size) {
      throw new KtrdrError('VALIDATION_FAILED', `importState: the state holds ${saved.params.length} parameters, the network has ${size}`);
    }
    arena.f32(state.params, size).set(saved.params);
    arena.f32(state.m, size).set(saved.optimizer.m);
    arena.f32(state.v, size).set(saved.optimizer.v);
    state.step = saved.optimizer.step;
    state.kernels.setRngState(saved.dropoutRngState >>> 0);
    this.refreshTransposed();
  }

  async dispose(): Promise<void> {
    this.state = null;
  }

  private requireState(): WasmState {
    if (this.state === null) throw new KtrdrError('TRAINING_FAILED', 'The wasm-simd backend was used before init');
    return this.state;
  }

  /** Buffers for up to `rows` rows, kept per purpose and reallocated only when a bigger batch comes. */
  private passFor(state: WasmState, purpose: 'training' | 'inference', rows: number): PassRegions {
    const existing = state[purpose];
    if (existing !== null && existing.capacity >= rows) return existing;
    const { arena, spec } = state;
    const forTraining = purpose === 'training';
    const withDropout = forTraining && spec.dropout > 0;
    const hidden = spec.hidden.map((width) => {
      const activated = arena.allocate(rows * width);
      return {
        activated,
        dropped: withDropout ? arena.allocate(rows * width) : activated,
        mask: withDropout ? arena.allocate(rows * width) : 0,
        gradient: forTraining ? arena.allocate(rows * width) : 0,
      };
    });
    const pass: PassRegions = {
      capacity: rows,
      input: arena.allocate(rows * spec.inputs),
      hidden,
      logits: arena.allocate(rows * spec.outputs),
      gradLogits: forTraining ? arena.allocate(rows * spec.outputs) : 0,
    };
    state[purpose] = pass;
    return pass;
  }

  /** mlp-pass.ts forwardPass, with the same dropout draw order. */
  private forward(state: WasmState, pass: PassRegions, rows: number, dropout: boolean): void {
    const { kernels, arena, spec, layers } = state;
    const kind = FUSED_ACTIVATION[spec.activation];
    const keep = 1 - spec.dropout;
    let input = pass.input;
    for (let l = 0; l < spec.hidden.length; l++) {
      const { shape, transposedW, b } = layers[l];
      const regions = pass.hidden[l];
      kernels.gemmNN(input, transposedW, regions.activated, rows, shape.outputs, shape.inputs, b, kind);
      const length = rows * shape.outputs;
      if (kind === NOT_FUSED) activateInPlace(spec.activation, arena.f32(regions.activated, length), length);
      if (dropout) {
        // u/2³² < keep, tested in the module as u < keep·2³²: both sides exact, so the same draws keep the same units.
        kernels.dropout(regions.activated, regions.dropped, regions.mask, length, keep * 4294967296, 1 / keep);
        input = regions.dropped;
      } else {
        input = regions.activated;
      }
    }
    const output = layers[layers.length - 1];
    kernels.gemmNN(input, output.transposedW, pass.logits, rows, output.shape.outputs, output.shape.inputs, output.b, NOT_FUSED);
  }

  /** mlp-pass.ts backwardPass: overwrites the gradients from `pass.gradLogits`. */
  private backward(state: WasmState, pass: PassRegions, rows: number, dropout: boolean): void {
    const { kernels, arena, spec, layers } = state;
    const kind = FUSED_ACTIVATION[spec.activation];
    let gradOutput = pass.gradLogits;
    for (let l = layers.length - 1; l >= 0; l--) {
      const { shape, W, gradW, gradB } = layers[l];
      const below = l > 0 ? pass.hidden[l - 1] : null;
      const layerInput = below === null ? pass.input : dropout ? below.dropped : below.activated;
      kernels.gemmTN(gradOutput, layerInput, gradW, rows, shape.outputs, shape.inputs);
      kernels.columnSums(gradOutput, gradB, rows, shape.outputs);
      if (below === null) break;
      kernels.gemmNN(gradOutput, W, below.gradient, rows, shape.inputs, shape.outputs, 0, NOT_FUSED);
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

  /** adam.ts adamStep; the bias corrections are computed here in float64 and passed rounded to float32. */
  private adamStep(state: WasmState): void {
    const { learningRate, beta1, beta2, eps, weightDecay } = state.options.adam;
    state.step += 1;
    const stepSize = learningRate / (1 - Math.pow(beta1, state.step));
    const correction2Sqrt = Math.sqrt(1 - Math.pow(beta2, state.step));
    state.kernels.adam(state.params, state.grads, state.m, state.v, state.size, stepSize, correction2Sqrt, beta1, beta2, eps, weightDecay);
    this.refreshTransposed();
  }

  /** The forward products read Wᵀ (kernels' gemmNN streams rows of B), so it follows every change of W. */
  private refreshTransposed(): void {
    const { kernels, layers } = this.requireState();
    for (const { W, transposedW, shape } of layers) kernels.transpose(W, transposedW, shape.outputs, shape.inputs);
  }
}

/** Activation codes of the kernels; tanh and sigmoid run in JS after the product (they need exp). */
const NOT_FUSED = 0;
const FUSED_ACTIVATION: Record<Activation, number> = { relu: 1, leaky_relu: 2, tanh: NOT_FUSED, sigmoid: NOT_FUSED };

/** Byte offsets of one layer's parameters, gradients and transposed weights in the module's memory. */
interface LayerRegions {
  readonly shape: LayerShape;
  readonly W: number;
  readonly b: number;
  readonly gradW: number;
  readonly gradB: number;
  readonly transposedW: number;
}

/** A forward (and, for training, backward) pass's buffers for up to `capacity` rows; 0 = not allocated. */
interface PassRegions {
  readonly capacity: number;
  readonly input: number;
  readonly hidden: readonly { activated: number; dropped: number; mask: number; gradient: number }[];
  readonly logits: number;
  readonly gradLogits: number;
}

interface WasmState {
  readonly kernels: WasmKernels;
  readonly arena: WasmArena;
  readonly spec: MlpSpec;
  readonly options: BackendTrainingOptions;
  /** Parameter count; params, grads, m and v each hold that many floats in the canonical flat order. */
  readonly size: number;
  readonly params: number;
  readonly grads: number;
  readonly m: number;
  readonly v: number;
  step: number;
  readonly layers: readonly LayerRegions[];
  training: PassRegions | null;
  inference: PassRegions | null;
  data: { x: number; order: number; y: Int32Array; rows: number; capacity: number } | null;
}
