import type { OptimizerState } from './adam.js';
import type { TrainingLoss } from './loss.js';
import type { OptimizerConfig } from './optimizers.js';
import type { MlpWeights } from './weights.js';

/**
 * The one thing a compute backend (the CPU code now; WebGPU or similar later) has to provide. It is deliberately
 * coarse: the training data is uploaded once and a whole epoch runs in one call, so a GPU backend pays one round trip
 * per epoch rather than per batch. Everything that is not arithmetic (shuffling, validation, early stopping, best
 * weights, progress) lives in the shared trainer, so a new backend cannot change what training means.
 *
 * Unlike the interface sketched in nn-stack-evaluation.md, `init` receives initial weights rather than a seed: the
 * trainer draws them from its seeded generator, so every backend starts from bit-identical weights.
 */
export interface TrainBackend {
  /** 'js-cpu', later e.g. 'webgpu'. */
  readonly id: string;
  /** True when the same inputs and seed always give bit-identical weights. */
  readonly deterministic: boolean;
  /** Threads it computes with, the caller's included (at most what `createBackend` allowed). */
  readonly threads: number;

  init(weights: MlpWeights, options: BackendTrainingOptions): Promise<void>;
  /** Keeps (or uploads) the training set; `runEpoch` addresses its rows by index. */
  setTrainData(x: Float32Array, y: Int32Array | Float64Array, rows: number): Promise<void>;
  /**
   * One pass over the training rows in `order`, in mini-batches of `batchSize` (the last one may be smaller), with one
   * optimizer step per batch. Checks `signal` before every batch and throws KtrdrError CANCELLED when it is aborted,
   * and yields to the event loop often enough that an abort from a timer or a message lands within ~100 ms. Throws
   * TRAINING_DIVERGED as soon as a loss is NaN or infinite. `onBatch` receives the number of batches done so far.
   */
  runEpoch(
    order: Int32Array,
    batchSize: number,
    signal?: AbortSignal,
    onBatch?: (batchesDone: number, totalBatches: number) => void,
  ): Promise<EpochStats>;
  /** The learning rate of the following optimizer steps (a scheduler calls this between epochs). */
  setLearningRate(learningRate: number): Promise<void>;
  /** Logits [rows][outputs] with dropout off. */
  predictLogits(x: Float32Array, rows: number, signal?: AbortSignal): Promise<Float32Array>;
  /** A copy of the current weights; later training does not change it. */
  getWeights(): Promise<MlpWeights>;
  /** Replaces the current weights (the optimizer state is kept). */
  setWeights(weights: MlpWeights): Promise<void>;
  /**
   * Everything training has changed inside the backend (parameters, optimizer moments and step, dropout generator), as
   * a copy. With `importState` this is what a checkpoint holds of the backend: a backend initialised with the same
   * options, given this state and the same epoch orders, continues bit-identically to one that was never stopped.
   */
  exportState(): Promise<BackendState>;
  /** Restores a state from `exportState` of a backend initialised with the same network and options. */
  importState(state: BackendState): Promise<void>;
  dispose(): Promise<void>;
}

/** The backend's share of a checkpoint (see `exportState`). */
export interface BackendState {
  /** All parameters in the canonical flat order (weights.ts). */
  readonly params: Float32Array;
  readonly optimizer: OptimizerState;
  /** The dropout generator's internal state (`SeededRandom.snapshot()`). */
  readonly dropoutRngState: number;
}

export interface BackendTrainingOptions {
  /** The optimizer and its initial learning rate (`setLearningRate` changes the rate between epochs). */
  readonly optimizer: OptimizerConfig;
  /** Default cross-entropy; a regression loss trains a one-output network on real-valued targets. */
  readonly loss?: TrainingLoss;
  /** Maximum global L2 norm of the gradients; 0 = no clipping. */
  readonly gradientClip: number;
  /** One weight per class, or null for the unweighted loss. */
  readonly classWeights: Float32Array | null;
  /** Seed for the dropout masks (drawn by the trainer from its generator). */
  readonly dropoutSeed: number;
}

export interface EpochStats {
  /** Mean over the epoch's rows of each batch's loss (each batch weighted by its row count). */
  loss: number;
  /** Training rows whose argmax prediction, made during the epoch's forward passes, matched the label. */
  correct: number;
  samples: number;
}
