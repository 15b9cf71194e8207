import { KtrdrError, isKtrdrError } from '../errors.js';
import { SeededRandom } from '../util/random.js';
import type { BackendState, TrainBackend } from './backend.js';
import { createBackend, DEFAULT_BACKEND } from './backend-registry.js';
import { throwIfAborted } from './cancellation.js';
import { resolveClassWeights, type ClassWeightsOption } from './class-weights.js';
import { EarlyStopping, type EarlyStoppingConfig, type EarlyStoppingState } from './early-stopping.js';
import { CROSS_ENTROPY, isRegressionLoss, trainingLoss, type TrainingLoss } from './loss.js';
import { createLrScheduler, type LrSchedulerConfig } from './lr-scheduler.js';
import { OPTIMIZER_DEFAULTS, OPTIMIZERS, SGD_DEFAULT_MOMENTUM, type OptimizerKind } from './optimizers.js';
import { parameterCount, parseMlpSpec, type MlpSpec } from './spec.js';
import { flattenWeights, initGlorotUniform, weightsFromFlat, type MlpWeights } from './weights.js';

/**
 * The training loop, written once for every backend: seeding, shuffling, validation, early stopping, keeping the
 * best weights, cancellation and progress. A backend only does the arithmetic of an epoch (backend.ts).
 */

/** A feature matrix [rows][features] (row-major) with one label per row: a class index, or a real-valued target. */
export interface LabelledSet {
  readonly x: Float32Array;
  readonly y: ArrayLike<number>;
  readonly rows: number;
  readonly features: number;
}

export interface TrainingData {
  readonly train: LabelledSet;
  /** Drives the reported validation metrics, early stopping and the choice of the returned weights. */
  readonly validation: LabelledSet;
}

export interface TrainerConfig {
  readonly epochs: number;
  readonly batchSize: number;
  readonly learningRate: number;
  /** Default 'adam' (optimizers.ts). */
  readonly optimizer?: OptimizerKind;
  /** Weight decay (L2 added to the gradient; decoupled for adamw, see optimizers.ts). Default 0. */
  readonly weightDecay?: number;
  /** sgd and rmsprop momentum. Default 0.9 for sgd, 0 for rmsprop. */
  readonly momentum?: number;
  /**
   * Default cross-entropy. The validation loss (best epoch, early stopping) uses the same loss. A regression loss
   * (mse, huber) needs a one-output network and real-valued labels; the accuracies are then directional.
   */
  readonly loss?: TrainingLoss;
  /** Undefined = a constant learning rate. */
  readonly lrScheduler?: LrSchedulerConfig;
  /** Maximum global gradient norm; 0 or undefined = no clipping. */
  readonly gradientClip?: number;
  /** Default 'none'. 'auto' weights by inverse class frequency in the training labels (class-weights.ts). */
  readonly classWeights?: ClassWeightsOption;
  /** Undefined or `enabled: false` = train all epochs. */
  readonly earlyStopping?: EarlyStoppingConfig;
  /** Seeds every random choice: initial weights, dropout masks and the per-epoch shuffle. */
  readonly seed: number;
  /** Backend id (backend-registry.ts). Default 'js-cpu'. */
  readonly backend?: string;
  /** Threads the backend may use (wasm-simd; the weights do not depend on it). Default 1. */
  readonly threads?: number;
}

export interface TrainingHooks {
  /** Checked before every batch; an abort ends training with KtrdrError CANCELLED. */
  readonly signal?: AbortSignal;
  /** After every batch. `epoch` counts from 1; `batch` is the number of batches done in this epoch (1…total). */
  readonly onBatch?: (epoch: number, batch: number, totalBatches: number) => void;
  /** After every epoch, including the one at which early stopping triggers. */
  readonly onEpoch?: (record: EpochRecord) => void;
  /** Where resumable states go; without it no state is exported. */
  readonly checkpoints?: CheckpointHooks;
}

/**
 * States are taken at epoch boundaries only: a cancel in the middle of an epoch saves the state as of the last
 * completed epoch (the partial epoch's batches are redone on resume, with the same shuffle and dropout masks). No state
 * is saved after the epoch at which training ends, since nothing would be left to resume.
 */
export interface CheckpointHooks {
  /** Asked after every completed epoch that does not end training; true saves the state now. */
  readonly due: (epoch: number) => boolean;
  /** `reason` is 'cancel' when the run was cancelled (the state is the last completed epoch's). */
  readonly save: (state: TrainerState, reason: 'due' | 'cancel') => Promise<void>;
}

/**
 * Everything the trainer needs to continue after `epochsDone` epochs exactly as if it had never stopped. Passed back
 * to `train` as `resumeFrom` with the same data, spec and config.
 */
export interface TrainerState {
  readonly epochsDone: number;
  readonly history: readonly EpochRecord[];
  /** The per-epoch shuffle generator (`SeededRandom.snapshot()`). */
  readonly shuffleRngState: number;
  /** The lowest validation loss so far (+Infinity before epoch 1), the epoch it came from and its parameters. */
  readonly bestLoss: number;
  readonly bestEpoch: number;
  readonly bestParams: Float32Array;
  /** Null when early stopping is off. */
  readonly earlyStopping: EarlyStoppingState | null;
  readonly backend: BackendState;
}

/** One epoch's metrics; field names match the operation's stored epoch metrics. */
export interface EpochRecord {
  /** Counts from 1. */
  epoch: number;
  train_loss: number;
  train_accuracy: number;
  val_loss: number;
  val_accuracy: number;
  learning_rate: number;
  /** Wall time of the epoch, validation included. */
  duration_ms: number;
}

export interface TrainerResult {
  /** The weights of `bestEpoch`, the epoch with the lowest validation loss: not simply the last epoch's. */
  weights: MlpWeights;
  history: EpochRecord[];
  bestEpoch: number;
  stoppedEarly: boolean;
  /** The class weights the loss used (resolved from 'auto' if so), or null when unweighted. */
  classWeights: number[] | null;
  backend: string;
  /** Threads the backend computed with. */
  threads: number;
}

export async function train(
  data: TrainingData,
  specInput: MlpSpec,
  config: TrainerConfig,
  hooks: TrainingHooks = {},
  resumeFrom?: TrainerState,
): Promise<TrainerResult> {
  const spec = parseMlpSpec(specInput);
  validateConfig(config, spec);
  const regression = isRegressionLoss(config.loss ?? CROSS_ENTROPY);
  const trainY = checkLabelledSet('train', data.train, spec, regression);
  const validationY = checkLabelledSet('validation', data.validation, spec, regression);
  const { signal, checkpoints } = hooks;
  throwIfAborted(signal);
  if (resumeFrom !== undefined) checkResumable(resumeFrom, spec, config);

  // One generator, forked per purpose, so adding draws to one purpose never shifts another's sequence.
  const rng = new SeededRandom(config.seed);
  const initialWeights = initGlorotUniform(spec, rng.fork());
  const dropoutSeed = Math.floor(rng.next() * 4294967296);
  // The draws above happen on resume too: the backend must be initialised with the same dropout seed before its state
  // is replaced, and the initial weights are simply overwritten.
  const shuffleRng = resumeFrom === undefined ? rng.fork() : new SeededRandom(resumeFrom.shuffleRngState);

  const classWeights = regression ? null : resolveClassWeights(config.classWeights ?? 'none', trainY, spec.outputs);
  const earlyStopping = config.earlyStopping !== undefined && config.earlyStopping.enabled !== false ? new EarlyStopping(config.earlyStopping) : null;

  const optimizer = config.optimizer ?? 'adam';
  const loss = config.loss ?? CROSS_ENTROPY;
  const scheduler = config.lrScheduler === undefined ? null : createLrScheduler(config.lrScheduler, config.learningRate);
  let learningRate = config.learningRate;

  const backend: TrainBackend = createBackend(config.backend ?? DEFAULT_BACKEND, { threads: config.threads });
  try {
    await backend.init(initialWeights, {
      optimizer: {
        ...OPTIMIZER_DEFAULTS,
        kind: optimizer,
        learningRate: config.learningRate,
        weightDecay: config.weightDecay ?? 0,
        momentum: config.momentum ?? (optimizer === 'sgd' ? SGD_DEFAULT_MOMENTUM : 0),
      },
      loss,
      gradientClip: config.gradientClip ?? 0,
      classWeights,
      dropoutSeed,
    });
    await backend.setTrainData(data.train.x, trainY, data.train.rows);

    const history: EpochRecord[] = [];
    const order = new Int32Array(data.train.rows);
    let bestWeights = initialWeights;
    let bestLoss = Number.POSITIVE_INFINITY;
    let bestEpoch = 0;
    let stoppedEarly = false;
    let firstEpoch = 1;
    if (resumeFrom !== undefined) {
      await backend.importState(resumeFrom.backend);
      history.push(...resumeFrom.history.map((record) => ({ ...record })));
      bestWeights = weightsFromFlat(spec, new Float32Array(resumeFrom.bestParams));
      bestLoss = resumeFrom.bestLoss;
      bestEpoch = resumeFrom.bestEpoch;
      if (resumeFrom.earlyStopping !== null) earlyStopping?.restore(resumeFrom.earlyStopping);
      // The scheduler's state is a function of the validation losses it was given: replaying the history's (exact in
      // the checkpoint) puts it, and the learning rate, where the interrupted run had them.
      if (scheduler !== null) {
        for (const record of resumeFrom.history) learningRate = scheduler.step(record.val_loss);
        if (learningRate !== config.learningRate) await backend.setLearningRate(learningRate);
      }
      firstEpoch = resumeFrom.epochsDone + 1;
    }
    // The state as of the last completed epoch, kept so that a cancel in the middle of the next one can still save it.
    let lastState: TrainerState | undefined = resumeFrom;
    const captureState = async (epochsDone: number): Promise<TrainerState> => ({
      epochsDone,
      history: history.map((record) => ({ ...record })),
      shuffleRngState: shuffleRng.snapshot(),
      bestLoss,
      bestEpoch,
      bestParams: flattenWeights(bestWeights),
      earlyStopping: earlyStopping?.snapshot() ?? null,
      backend: await backend.exportState(),
    });

    try {
      for (let epoch = firstEpoch; epoch <= config.epochs; epoch++) {
        throwIfAborted(signal);
        const started = performance.now();
        for (let i = 0; i < order.length; i++) order[i] = i;
        shuffleRng.shuffle(order);

        const trainStats = await addEpochToDivergence(epoch, () =>
          backend.runEpoch(order, config.batchSize, signal, (batch, total) => hooks.onBatch?.(epoch, batch, total)),
        );
        const validationLogits = await backend.predictLogits(data.validation.x, data.validation.rows, signal);
        const validation = trainingLoss(loss, validationLogits, validationY, data.validation.rows, spec.outputs, classWeights, null);
        if (!Number.isFinite(trainStats.loss) || !Number.isFinite(validation.loss)) {
          throw divergedError(epoch, { train_loss: String(trainStats.loss), val_loss: String(validation.loss) });
        }

        const record: EpochRecord = {
          epoch,
          train_loss: trainStats.loss,
          train_accuracy: trainStats.samples > 0 ? trainStats.correct / trainStats.samples : 0,
          val_loss: validation.loss,
          val_accuracy: validation.correct / data.validation.rows,
          learning_rate: learningRate,
          duration_ms: performance.now() - started,
        };
        history.push(record);
        // A deep copy: the original kept a shallow state_dict() copy, so its "best" weights were the last epoch's.
        if (validation.loss < bestLoss) {
          bestLoss = validation.loss;
          bestEpoch = epoch;
          bestWeights = await backend.getWeights();
        }
        if (scheduler !== null) {
          const next = scheduler.step(validation.loss);
          if (next !== learningRate) await backend.setLearningRate(next);
          learningRate = next;
        }
        const stop = earlyStopping?.shouldStop(validation.loss) ?? false;
        hooks.onEpoch?.(record);
        if (stop) {
          stoppedEarly = epoch < config.epochs;
          break;
        }
        if (checkpoints !== undefined && epoch < config.epochs) {
          // Kept every epoch (a copy of the parameters and moments, small next to an epoch's work) so a cancel can save it.
          lastState = await captureState(epoch);
          if (checkpoints.due(epoch)) await checkpoints.save(lastState, 'due');
        }
      }
    } catch (error) {
      if (checkpoints !== undefined && lastState !== undefined && isKtrdrError(error) && error.code === 'CANCELLED') {
        await checkpoints.save(lastState, 'cancel');
      }
      throw error;
    }

    return {
      weights: bestWeights,
      history,
      bestEpoch,
      stoppedEarly,
      classWeights: classWeights === null ? null : Array.from(classWeights),
      backend: backend.id,
      threads: backend.threads,
    };
  } finally {
    await backend.dispose();
  }
}

/** A state from another network or configuration would continue a different run: refuse it instead of mixing them. */
function checkResumable(state: TrainerState, spec: MlpSpec, config: TrainerConfig): void {
  const expected = parameterCount(spec);
  const problems: string[] = [];
  if (!Number.isInteger(state.epochsDone) || state.epochsDone < 1 || state.epochsDone >= config.epochs) {
    problems.push(`it was taken after epoch ${state.epochsDone}, the run has ${config.epochs} epochs`);
  }
  if (state.history.length !== state.epochsDone) problems.push(`its history has ${state.history.length} epochs, not ${state.epochsDone}`);
  for (const [name, length] of [
    ['parameters', state.backend.params.length],
    ['best parameters', state.bestParams.length],
    ['first moments', state.backend.optimizer.m.length],
    ['second moments', state.backend.optimizer.v.length],
  ] as const) {
    if (length !== expected) problems.push(`it has ${length} ${name}, the network has ${expected}`);
  }
  if (problems.length > 0) {
    throw new KtrdrError('CHECKPOINT_MISMATCH', `The checkpoint does not belong to this training: ${problems.join('; ')}`, {
      details: { problems },
    });
  }
}

function validateConfig(config: TrainerConfig, spec: MlpSpec): void {
  const problems: string[] = [];
  const positiveInteger = (name: string, value: number): void => {
    if (!Number.isInteger(value) || value < 1) problems.push(`${name} must be an integer ≥ 1, got ${value}`);
  };
  positiveInteger('epochs', config.epochs);
  positiveInteger('batch_size', config.batchSize);
  if (!(config.learningRate > 0 && Number.isFinite(config.learningRate))) {
    problems.push(`learning_rate must be a positive number, got ${config.learningRate}`);
  }
  if (config.optimizer !== undefined && !OPTIMIZERS.includes(config.optimizer)) {
    problems.push(`optimizer must be one of ${OPTIMIZERS.join(', ')}, got ${String(config.optimizer)}`);
  }
  if (config.loss?.kind === 'focal' && !(config.loss.gamma >= 0 && Number.isFinite(config.loss.gamma))) {
    problems.push(`focal_gamma must be ≥ 0, got ${config.loss.gamma}`);
  }
  if (config.loss?.kind === 'huber' && !(config.loss.delta > 0 && Number.isFinite(config.loss.delta))) {
    problems.push(`huber_delta must be > 0, got ${config.loss.delta}`);
  }
  const regression = config.loss !== undefined && isRegressionLoss(config.loss);
  if (regression !== (spec.outputs === 1)) {
    problems.push(
      regression
        ? `the ${config.loss!.kind} loss needs a network with one output, this one has ${spec.outputs}`
        : `a classifier needs at least two outputs, this network has ${spec.outputs}; a one-output network needs loss mse or huber`,
    );
  }
  if (regression && config.classWeights !== undefined && config.classWeights !== 'none') {
    problems.push('class weights apply to classifiers only; a regression loss takes none');
  }
  for (const [name, value] of [
    ['momentum', config.momentum],
    ['weight_decay', config.weightDecay],
    ['gradient_clip', config.gradientClip],
  ] as const) {
    if (value !== undefined && !(value >= 0 && Number.isFinite(value))) {
      problems.push(`${name} must be ≥ 0, got ${value}`);
    }
  }
  if (!Number.isInteger(config.seed)) problems.push(`seed must be an integer, got ${config.seed}`);
  if (problems.length > 0) {
    throw new KtrdrError('VALIDATION_FAILED', `Invalid training configuration: ${problems.join('; ')}`, {
      details: { problems },
    });
  }
}

/** Checks shapes, finiteness and label range up front, so a bad input is reported as such and not as divergence. */
function checkLabelledSet(name: string, set: LabelledSet, spec: MlpSpec, regression: boolean): Int32Array | Float64Array {
  const fail = (message: string): never => {
    throw new KtrdrError('VALIDATION_FAILED', `The ${name} set ${message}`);
  };
  if (!Number.isInteger(set.rows) || set.rows < 1) fail(`needs at least one row, got ${set.rows}`);
  if (set.features !== spec.inputs) fail(`has ${set.features} features but the network expects ${spec.inputs}`);
  if (set.x.length !== set.rows * set.features) {
    fail(`has ${set.x.length} values, expected ${set.rows} rows × ${set.features} features`);
  }
  if (set.y.length !== set.rows) fail(`has ${set.y.length} labels for ${set.rows} rows`);
  for (let i = 0; i < set.x.length; i++) {
    if (!Number.isFinite(set.x[i])) fail(`has a non-finite feature value at row ${Math.floor(i / set.features)}`);
  }
  if (regression) {
    const targets = Float64Array.from(set.y);
    for (let i = 0; i < set.rows; i++) if (!Number.isFinite(targets[i])) fail(`has a non-finite target ${targets[i]} at row ${i}`);
    return targets;
  }
  const labels = new Int32Array(set.rows);
  for (let i = 0; i < set.rows; i++) {
    const label = set.y[i];
    if (!Number.isInteger(label) || label < 0 || label >= spec.outputs) {
      fail(`has label ${label} at row ${i}; labels must be integers in [0, ${spec.outputs})`);
    }
    labels[i] = label;
  }
  return labels;
}

async function addEpochToDivergence<T>(epoch: number, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (isKtrdrError(error) && error.code === 'TRAINING_DIVERGED') {
      throw divergedError(epoch, error.details, error);
    }
    throw error;
  }
}

function divergedError(epoch: number, details: unknown, cause?: unknown): KtrdrError {
  const extra = typeof details === 'object' && details !== null ? details : {};
  return new KtrdrError('TRAINING_DIVERGED', `Training diverged in epoch ${epoch}: the loss is not finite`, {
    details: { epoch, ...extra },
    hint: 'Lower the learning rate, enable gradient clipping, or check the features for extreme values.',
    cause,
  });
}
