import { KtrdrError } from '../../errors.js';
import { SeededRandom } from '../../util/random.js';
import { clipGradientsByGlobalNorm, createOptimizerState, type OptimizerState } from '../adam.js';
import { optimizerStep, type OptimizerConfig } from '../optimizers.js';
import type { BackendState, BackendTrainingOptions, EpochStats, TrainBackend } from '../backend.js';
import { throwIfAborted } from '../cancellation.js';
import { checkEpochArguments, divergedBatchError } from '../epoch-arguments.js';
import { EventLoopYield } from '../event-loop-yield.js';
import { CROSS_ENTROPY, trainingLoss } from '../loss.js';
import { predictChunk, prepareInference, PREDICT_CHUNK_ROWS } from '../predict.js';
import { parameterCount, type MlpSpec } from '../spec.js';
import { flattenWeights, weightsFromFlat, type MlpWeights } from '../weights.js';
import { backwardPass, createPassBuffers, forwardPass, type PassBuffers } from './mlp-pass.js';

/** The reference backend: single-threaded, allocation-free in the loop, and bit-for-bit deterministic. */
export class JsCpuBackend implements TrainBackend {
  readonly id = 'js-cpu';
  readonly deterministic = true;
  readonly threads = 1;

  private state: TrainingState | null = null;
  private data: { x: Float32Array; y: Int32Array | Float64Array; rows: number } | null = null;
  private readonly yielder = new EventLoopYield();

  async init(weights: MlpWeights, options: BackendTrainingOptions): Promise<void> {
    const params = flattenWeights(weights);
    const grads = new Float32Array(params.length);
    const { spec } = weights;
    this.state = {
      spec,
      options,
      optimizerConfig: options.optimizer,
      params,
      paramView: weightsFromFlat(spec, params),
      grads,
      gradView: weightsFromFlat(spec, grads),
      optimizer: createOptimizerState(params.length),
      dropoutRng: new SeededRandom(options.dropoutSeed),
      buffers: null,
      batchX: new Float32Array(0),
      batchY: new Float64Array(0),
    };
  }

  async setLearningRate(learningRate: number): Promise<void> {
    const state = this.requireState();
    state.optimizerConfig = { ...state.optimizerConfig, learningRate };
  }

  async setTrainData(x: Float32Array, y: Int32Array | Float64Array, rows: number): Promise<void> {
    const { spec } = this.requireState();
    if (x.length !== rows * spec.inputs || y.length !== rows) {
      throw new KtrdrError('VALIDATION_FAILED', `Training data does not match ${rows} rows × ${spec.inputs} features`);
    }
    this.data = { x, y, rows };
  }

  async runEpoch(
    order: Int32Array,
    batchSize: number,
    signal?: AbortSignal,
    onBatch?: (batchesDone: number, totalBatches: number) => void,
  ): Promise<EpochStats> {
    const state = this.requireState();
    const data = this.data;
    if (data === null) throw new KtrdrError('TRAINING_FAILED', 'runEpoch called before setTrainData');
    checkEpochArguments(order, batchSize, data.rows);
    const { spec, options, params, paramView, grads, gradView, optimizer } = state;
    const buffers = this.buffersFor(state, batchSize);
    const { batchX, batchY } = state;
    const { x: sourceX, y: sourceY } = data;
    const inputs = spec.inputs;
    const dropoutRng = spec.dropout > 0 ? state.dropoutRng : null;
    const totalBatches = Math.ceil(order.length / batchSize);

    let lossSum = 0;
    let correct = 0;
    for (let batch = 0; batch < totalBatches; batch++) {
      throwIfAborted(signal);
      const start = batch * batchSize;
      const rows = Math.min(batchSize, order.length - start);
      // Gather the batch into contiguous buffers: the kernels want dense rows, and 40 floats copy faster by hand than
      // through a subarray per row.
      for (let r = 0; r < rows; r++) {
        const source = order[start + r];
        batchY[r] = sourceY[source];
        const from = source * inputs;
        const to = r * inputs;
        for (let f = 0; f < inputs; f++) batchX[to + f] = sourceX[from + f];
      }
      const logits = forwardPass(spec, paramView, buffers, batchX, rows, dropoutRng);
      const result = trainingLoss(options.loss ?? CROSS_ENTROPY, logits, batchY, rows, spec.outputs, options.classWeights, buffers.gradLogits);
      if (!Number.isFinite(result.loss)) throw divergedBatchError(result.loss, batch + 1, totalBatches);
      backwardPass(spec, paramView, buffers, batchX, rows, gradView);
      if (options.gradientClip > 0) clipGradientsByGlobalNorm(grads, options.gradientClip);
      optimizerStep(params, grads, optimizer, state.optimizerConfig);
      lossSum += result.loss * rows;
      correct += result.correct;
      onBatch?.(batch + 1, totalBatches);
      if (this.yielder.due()) await this.yielder.now();
    }
    return { loss: order.length > 0 ? lossSum / order.length : 0, correct, samples: order.length };
  }

  async predictLogits(x: Float32Array, rows: number, signal?: AbortSignal): Promise<Float32Array> {
    const { spec, paramView } = this.requireState();
    const buffers = prepareInference(paramView, x, rows);
    const logits = new Float32Array(rows * spec.outputs);
    for (let start = 0; start < rows; start += PREDICT_CHUNK_ROWS) {
      throwIfAborted(signal);
      predictChunk(paramView, buffers, x, start, Math.min(rows, start + PREDICT_CHUNK_ROWS), logits);
      if (this.yielder.due()) await this.yielder.now();
    }
    return logits;
  }

  async getWeights(): Promise<MlpWeights> {
    const { spec, params } = this.requireState();
    return weightsFromFlat(spec, params.slice());
  }

  async setWeights(weights: MlpWeights): Promise<void> {
    const state = this.requireState();
    if (parameterCount(weights.spec) !== state.params.length) {
      throw new KtrdrError('VALIDATION_FAILED', 'setWeights: the weights do not match the initialised network');
    }
    state.params.set(flattenWeights(weights));
  }

  async exportState(): Promise<BackendState> {
    const { params, optimizer, dropoutRng } = this.requireState();
    return {
      params: params.slice(),
      optimizer: { step: optimizer.step, m: optimizer.m.slice(), v: optimizer.v.slice() },
      dropoutRngState: dropoutRng.snapshot(),
    };
  }

  async importState(saved: BackendState): Promise<void> {
    const state = this.requireState();
    const size = state.params.length;
    if (saved.params.length !== size || saved.optimizer.m.length !== size || saved.optimizer.v.length !== size) {
      throw new KtrdrError('VALIDATION_FAILED', `importState: the state holds ${saved.params.length} parameters, the network has ${size}`);
    }
    state.params.set(saved.params);
    state.optimizer.m.set(saved.optimizer.m);
    state.optimizer.v.set(saved.optimizer.v);
    state.optimizer.step = saved.optimizer.step;
    state.dropoutRng = new SeededRandom(saved.dropoutRngState);
  }

  async dispose(): Promise<void> {
    this.state = null;
    this.data = null;
  }

  private requireState(): TrainingState {
    if (this.state === null) throw new KtrdrError('TRAINING_FAILED', 'The js-cpu backend was used before init');
    return this.state;
  }

  private buffersFor(state: TrainingState, batchSize: number): PassBuffers {
    if (state.buffers === null || state.buffers.maxRows !== batchSize) {
      state.buffers = createPassBuffers(state.spec, batchSize, true);
      state.batchX = new Float32Array(batchSize * state.spec.inputs);
      state.batchY = new Float64Array(batchSize);
    }
    return state.buffers;
  }
}

interface TrainingState {
  readonly spec: MlpSpec;
  readonly options: BackendTrainingOptions;
  /** `options.optimizer` with the learning rate the scheduler set last. */
  optimizerConfig: OptimizerConfig;
  /** All parameters in the canonical flat order (weights.ts); `paramView` holds per-layer views into it. */
  readonly params: Float32Array;
  readonly paramView: MlpWeights;
  readonly grads: Float32Array;
  readonly gradView: MlpWeights;
  readonly optimizer: OptimizerState;
  dropoutRng: SeededRandom;
  buffers: PassBuffers | null;
  batchX: Float32Array;
  /** Class indices (exact as floats) or regression targets. */
  batchY: Float64Array;
}
