import { KtrdrError } from '../../errors.js';
import { clipGradientsByGlobalNorm } from '../adam.js';
import type { BackendState, BackendTrainingOptions, EpochStats, TrainBackend } from '../backend.js';
import { throwIfAborted } from '../cancellation.js';
import { checkEpochArguments, divergedBatchError } from '../epoch-arguments.js';
import { EventLoopYield } from '../event-loop-yield.js';
import { PREDICT_CHUNK_ROWS } from '../predict.js';
import { optimizerStep } from '../optimizers.js';
import { parameterCount } from '../spec.js';
import { flattenWeights, weightsFromFlat, type MlpWeights } from '../weights.js';
import {
  advanceRng,
  allocateNetwork,
  dropoutDraws,
  GradientEngine,
  MICRO_BATCH_ROWS,
  storeData,
  type BatchPosition,
  type DataLayout,
  type MicroBatchResult,
} from './gradient-engine.js';
import { GradientWorkerPool } from './gradient-worker-pool.js';
import { ThreadingPolicy } from './threading-policy.js';
import { WasmArena } from './wasm-arena.js';

export interface WasmSimdOptions {
  /** Threads that compute gradients, this one included. Default 1. The weights do not depend on it. */
  readonly threads?: number;
}

/**
 * The WebAssembly SIMD backend: the steps of js-cpu (mlp-pass.ts) with the matrix products, bias, relu, dropout,
 * activation gradients and Adam in wasm kernels (assembly/kernels.ts). The loss and tanh/sigmoid stay in JS (loss.ts,
 * activations.ts): they need exp, V8's exp is the same on every machine, and their cost is tiny next to the products.
 *
 * Determinism: a batch is cut into micro-batches of MICRO_BATCH_ROWS rows; each micro-batch gradient is a float32 sum
 * in row order, and they are added in a fixed pairwise tree (0+1, 2+3, …, then (0+1)+(2+3), …; reduction-tree.ts).
 * Kernels use plain SIMD128 (no FMA), so the weights are bit-identical run to run, machine to machine, and for any
 * `threads`: threads only change who computes which micro-batch, and who makes which addition of the tree.
 * They agree with js-cpu to ~1e-6 relative per step, not bit for bit (js-cpu sums a whole batch in float64).
 *
 * Threads: the backend and its gradient workers run kernel instances over one shared memory (wasm-arena.ts), so the
 * workers read the parameters, Wᵀ and the training rows where the backend keeps them, and each thread adds
 * micro-batch gradients where the others left them: a batch moves no data between threads, only a few numbers.
 *
 * Dropout: masks come from mulberry32 inside the module, positioned per micro-batch where js-cpu's sequential draw
 * would be, so the masks are js-cpu's and `dropoutRngState` means the same in both backends.
 */
export class WasmSimdBackend implements TrainBackend {
  readonly id = 'wasm-simd';
  readonly deterministic = true;

  private state: WasmState | null = null;
  private readonly yielder = new EventLoopYield();

  constructor(private readonly backendOptions: WasmSimdOptions = {}) {}

  get threads(): number {
    return this.backendOptions.threads ?? 1;
  }

  async init(weights: MlpWeights, options: BackendTrainingOptions): Promise<void> {
    await this.dispose();
    const threads = this.threads;
    if (options.loss !== undefined && options.loss.kind !== 'cross_entropy') {
      // Micro-batch gradients are scaled by class weight (cross-entropy's normalisation); focal loss divides by rows.
      throw new KtrdrError('BACKEND_UNAVAILABLE', `The wasm-simd backend trains with cross-entropy only, not ${options.loss.kind}`, {
        hint: 'Use training.backend: auto or js-cpu with this loss.',
      });
    }
    if (!Number.isInteger(threads) || threads < 1) throw new KtrdrError('VALIDATION_FAILED', `threads must be an integer ≥ 1, got ${threads}`);
    const memory = WasmArena.createMemory();
    const arena = new WasmArena(memory);
    const network = allocateNetwork(arena, weights.spec);
    const engine = new GradientEngine(memory, network, options.classWeights);
    const { size } = engine;
    // The optimizer's moments start at zero (the memory may hold an earlier training's numbers).
    const [m, v] = [arena.allocate(size), arena.allocate(size)];
    arena.f32(m, size).fill(0);
    arena.f32(v, size).fill(0);
    this.state = {
      engine,
      options,
      m,
      v,
      step: 0,
      learningRate: options.optimizer.learningRate,
      rngState: options.dropoutSeed >>> 0,
      pool: threads > 1 ? await GradientWorkerPool.start(threads - 1, memory, network, options.classWeights) : null,
      threading: new ThreadingPolicy(),
      data: null,
      labels: new Int32Array(0),
    };
    engine.loadParams(flattenWeights(weights));
  }

  async setTrainData(x: Float32Array, y: Int32Array, rows: number): Promise<void> {
    const state = this.requireState();
    const { engine, pool } = state;
    state.data = storeData(engine.arena, engine.spec, x, y, rows, state.data);
    engine.useData(state.data);
    pool?.useData(state.data);
    state.labels = y;
  }

  async runEpoch(
    order: Int32Array,
    batchSize: number,
    signal?: AbortSignal,
    onBatch?: (batchesDone: number, totalBatches: number) => void,
  ): Promise<EpochStats> {
    const state = this.requireState();
    checkEpochArguments(order, batchSize, state.data?.rows ?? 0);
    const { engine, options } = state;
    engine.setOrder(order);
    const classWeights = options.classWeights;
    const totalBatches = Math.ceil(order.length / batchSize);
    const dropout = engine.spec.dropout > 0;

    let lossSum = 0;
    let correct = 0;
    for (let batch = 0; batch < totalBatches; batch++) {
      throwIfAborted(signal);
      const start = batch * batchSize;
      const rows = Math.min(batchSize, order.length - start);
      let totalWeight = 0;
      for (let r = 0; r < rows; r++) totalWeight += classWeights === null ? 1 : classWeights[state.labels[order[start + r]]];
      const { sum: grads, results } = this.batchGradients(state, { start, rows, rngState: dropout ? state.rngState : null, totalWeight });
      let batchLoss = 0;
      for (const result of results) {
        batchLoss += totalWeight > 0 ? (result.loss * result.weightSum) / totalWeight : 0;
        correct += result.correct;
      }
      if (!Number.isFinite(batchLoss)) throw divergedBatchError(batchLoss, batch + 1, totalBatches);
      if (dropout) state.rngState = advanceRng(state.rngState, dropoutDraws(engine.spec, rows));
      if (options.gradientClip > 0) clipGradientsByGlobalNorm(engine.arena.f32(grads, engine.size), options.gradientClip);
      this.optimizerStep(state, grads);
      lossSum += batchLoss * rows;
      onBatch?.(batch + 1, totalBatches);
      if (this.yielder.due()) await this.yielder.now();
    }
    return { loss: order.length > 0 ? lossSum / order.length : 0, correct, samples: order.length };
  }

  async setLearningRate(learningRate: number): Promise<void> {
    this.requireState().learningRate = learningRate;
  }

  async predictLogits(x: Float32Array, rows: number, signal?: AbortSignal): Promise<Float32Array> {
    const { engine, pool } = this.requireState();
    const { inputs, outputs } = engine.spec;
    if (!Number.isInteger(rows) || rows < 0 || x.length !== rows * inputs) {
      throw new KtrdrError('VALIDATION_FAILED', `Expected ${rows} rows × ${inputs} features = ${rows * inputs} values, got ${x.length}`);
    }
    const logits = new Float32Array(rows * outputs);
    const delegatedRows = pool === null ? 0 : pool.dispatchPredict(x, rows);
    try {
      for (let start = delegatedRows; start < rows; start += PREDICT_CHUNK_ROWS) {
        throwIfAborted(signal);
        const end = Math.min(rows, start + PREDICT_CHUNK_ROWS);
        engine.predictChunk(x.subarray(start * inputs, end * inputs), end - start, logits, start * outputs);
        if (this.yielder.due()) await this.yielder.now();
      }
    } finally {
      // Also after a cancel: the workers must be idle before the pool's next command.
      if (delegatedRows > 0) pool!.collectPredict(logits, delegatedRows);
    }
    return logits;
  }

  async getWeights(): Promise<MlpWeights> {
    const { engine } = this.requireState();
    return weightsFromFlat(engine.spec, engine.arena.f32(engine.params, engine.size).slice());
  }

  async setWeights(weights: MlpWeights): Promise<void> {
    const { engine } = this.requireState();
    if (parameterCount(weights.spec) !== engine.size) {
      throw new KtrdrError('VALIDATION_FAILED', 'setWeights: the weights do not match the initialised network');
    }
    engine.loadParams(flattenWeights(weights));
  }

  async exportState(): Promise<BackendState> {
    const { engine, m, v, step, rngState } = this.requireState();
    const { arena, size } = engine;
    return {
      params: arena.f32(engine.params, size).slice(),
      optimizer: { step, m: arena.f32(m, size).slice(), v: arena.f32(v, size).slice() },
      dropoutRngState: rngState,
    };
  }

  async importState(saved: BackendState): Promise<void> {
    const state = this.requireState();
    const { arena, size } = state.engine;
    if (saved.params.length !== size || saved.optimizer.m.length !== size || saved.optimizer.v.length !== size) {
      throw new KtrdrError('VALIDATION_FAILED', `importState: the state holds ${saved.params.length} parameters, the network has ${size}`);
    }
    state.engine.loadParams(saved.params);
    arena.f32(state.m, size).set(saved.optimizer.m);
    arena.f32(state.v, size).set(saved.optimizer.v);
    state.step = saved.optimizer.step;
    state.rngState = saved.dropoutRngState >>> 0;
  }

  async dispose(): Promise<void> {
    const state = this.state;
    this.state = null;
    if (state === null) return;
    await state.pool?.dispose();
    // The workers are released or ended: nothing else uses the memory now.
    WasmArena.releaseMemory(state.engine.arena.memory);
  }

  private requireState(): WasmState {
    if (this.state === null) throw new KtrdrError('TRAINING_FAILED', 'The wasm-simd backend was used before init');
    return this.state;
  }

  /**
   * The batch gradient, returned as a pointer, and each micro-batch's loss, weight and hits, in order. On threads, the
   * workers and this thread claim micro-batches one at a time and add their gradients up the fixed tree as they arrive,
   * each addition by whichever thread finished second at its node (`sumOnArrival`). Alone (no workers, one
   * micro-batch, or workers the ThreadingPolicy leaves out for now) this thread sums the same tree itself.
   */
  private batchGradients(state: WasmState, batch: BatchPosition): { sum: number; results: MicroBatchResult[] } {
    const { engine, pool, threading } = state;
    const microBatches = Math.ceil(batch.rows / MICRO_BATCH_ROWS);
    const results = new Array<MicroBatchResult>(microBatches);
    if (pool === null || microBatches === 1 || !threading.useThreads()) {
      return { sum: engine.computeBlock(batch, 0, microBatches, 0, results), results };
    }
    // On threads, every micro-batch is claimed on its own: gradients are added up the tree as they arrive, so a fine
    // split adds no serial work, and the last one a thread waits for is as short as can be (measured ~6 % faster at
    // batch 1,024 on 2 shared cores than blocks of four micro-batches).
    const job = { ...batch, microBatches };
    const started = performance.now();
    pool.dispatch(job);
    let computedHere = 0;
    for (let index = pool.claim(); index >= 0; index = pool.claim()) {
      pool.deliver(index, engine.computeBlock(batch, index, 1, computedHere, results), engine.addGradients);
      computedHere += 1;
    }
    const ownMs = performance.now() - started;
    const sum = pool.collect(job, results);
    threading.record(performance.now() - started, ownMs, computedHere, microBatches);
    return { sum, results };
  }

  /**
   * Adam in the kernel (adam.ts adamStep; the bias corrections computed here in float64, passed rounded to float32);
   * the other optimizers (optimizers.ts) run in JS on the module's memory: one pass over the parameters per batch.
   */
  private optimizerStep(state: WasmState, grads: number): void {
    const config = { ...state.options.optimizer, learningRate: state.learningRate };
    const { engine } = state;
    if (config.kind !== 'adam') {
      const { arena, size } = engine;
      const moments = { step: state.step, m: arena.f32(state.m, size), v: arena.f32(state.v, size) };
      optimizerStep(arena.f32(engine.params, size), arena.f32(grads, size), moments, config);
      state.step = moments.step;
      engine.refreshTransposed();
      return;
    }
    const { learningRate, beta1, beta2, eps, weightDecay } = config;
    state.step += 1;
    const stepSize = learningRate / (1 - Math.pow(beta1, state.step));
    const correction2Sqrt = Math.sqrt(1 - Math.pow(beta2, state.step));
    engine.kernels.adam(engine.params, grads, state.m, state.v, engine.size, stepSize, correction2Sqrt, beta1, beta2, eps, weightDecay);
    engine.refreshTransposed();
  }
}

interface WasmState {
  readonly engine: GradientEngine;
  readonly options: BackendTrainingOptions;
  /** Adam moments, in the engine's memory. */
  readonly m: number;
  readonly v: number;
  step: number;
  /** The optimizer's current learning rate (`setLearningRate`). */
  learningRate: number;
  /** The dropout generator at the start of the next batch. */
  rngState: number;
  readonly pool: GradientWorkerPool | null;
  /** Whether a batch goes to the pool's threads or stays on this one. */
  readonly threading: ThreadingPolicy;
  /** The training rows in the shared memory, once `setTrainData` has stored them. */
  data: DataLayout | null;
  /** The labels as given, for the batches' class weights. */
  labels: Int32Array;
}
