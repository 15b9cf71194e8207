/**
 * The neural-network engine: spec, weights, the training loop over a pluggable backend, inference, metrics and
 * serialisation. Nothing here does file I/O or knows about HTTP, operations or strategies.
 */
export { ACTIVATIONS, LEAKY_RELU_SLOPE, layerShapes, parameterCount, parseMlpSpec } from './spec.js';
export type { Activation, LayerShape, MlpSpec } from './spec.js';
export { cloneWeights, flattenWeights, initGlorotUniform, weightsFromFlat } from './weights.js';
export type { LayerWeights, MlpWeights } from './weights.js';
export { ADAM_DEFAULTS } from './adam.js';
export type { AdamConfig, OptimizerState } from './adam.js';
export { OPTIMIZER_DEFAULTS, OPTIMIZERS, optimizerStep } from './optimizers.js';
export type { OptimizerConfig, OptimizerKind } from './optimizers.js';
export { createLrScheduler, LR_SCHEDULERS } from './lr-scheduler.js';
export type { LrScheduler, LrSchedulerConfig } from './lr-scheduler.js';
export { classificationLoss, CROSS_ENTROPY, focalLoss, isRegressionLoss, regressionLoss, trainingLoss } from './loss.js';
export type { ClassificationLoss, RegressionLoss, TrainingLoss } from './loss.js';
export type { BackendState, BackendTrainingOptions, EpochStats, TrainBackend } from './backend.js';
export { availableBackends, BACKEND_CHOICES, createBackend, DEFAULT_BACKEND, registerBackend, resolveBackend } from './backend-registry.js';
export type { BackendChoice, BackendCreateOptions, BackendFactory } from './backend-registry.js';
export { resolveClassWeights } from './class-weights.js';
export type { ClassWeightsOption } from './class-weights.js';
export { EARLY_STOPPING_DEFAULTS } from './early-stopping.js';
export type { EarlyStoppingConfig, EarlyStoppingState } from './early-stopping.js';
export { train } from './trainer.js';
export type {
  CheckpointHooks,
  EpochRecord,
  LabelledSet,
  TrainerConfig,
  TrainerState,
  TrainingData,
  TrainingHooks,
  TrainerResult,
} from './trainer.js';
export { predictLogits, predictProbabilities } from './predict.js';
export { argmaxRows, confusionMatrix, defaultClassNames, evaluateLogits, evaluateProbabilities, metricsFromConfusion } from './metrics.js';
export type { ClassificationReport, ClassMetrics, ConfusionMetrics, EvaluationOptions } from './metrics.js';
export { BYTES_PER_PARAMETER, decodeWeights, encodeWeights, specToJson } from './serialize.js';
export { makeSyntheticClassification } from './synthetic.js';
export type { SyntheticClassification } from './synthetic.js';
export { evaluateRegression, isRegressionReport, spearman, testReportLine } from './regression-metrics.js';
export type { RegressionReport } from './regression-metrics.js';
