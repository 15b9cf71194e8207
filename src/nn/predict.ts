import { KtrdrError } from '../errors.js';
import { createPassBuffers, forwardPass, type PassBuffers } from './cpu/mlp-pass.js';
import { softmaxRowsInPlace } from './loss.js';
import { assertWeightsMatchSpec, type MlpWeights } from './weights.js';

/**
 * Inference straight from weights, with no backend and no training state: what a loaded model predicts with.
 * Dropout is off.
 */

/** Rows per forward chunk: bounds the activation buffers whatever the number of rows. */
export const PREDICT_CHUNK_ROWS = 1024;

export function predictLogits(weights: MlpWeights, x: Float32Array, rows: number): Float32Array {
  const buffers = prepareInference(weights, x, rows);
  const logits = new Float32Array(rows * weights.spec.outputs);
  for (let start = 0; start < rows; start += PREDICT_CHUNK_ROWS) {
    predictChunk(weights, buffers, x, start, Math.min(rows, start + PREDICT_CHUNK_ROWS), logits);
  }
  return logits;
}

/** Class probabilities [rows][outputs] (softmax of the logits). */
export function predictProbabilities(weights: MlpWeights, x: Float32Array, rows: number): Float32Array {
  const probabilities = predictLogits(weights, x, rows);
  softmaxRowsInPlace(probabilities, rows, weights.spec.outputs);
  return probabilities;
}

/** Checks the inputs and allocates buffers for chunked inference. */
export function prepareInference(weights: MlpWeights, x: Float32Array, rows: number): PassBuffers {
  assertWeightsMatchSpec(weights);
  const { inputs } = weights.spec;
  if (!Number.isInteger(rows) || rows < 0 || x.length !== rows * inputs) {
    throw new KtrdrError('VALIDATION_FAILED', `Expected ${rows} rows × ${inputs} features = ${rows * inputs} values, got ${x.length}`);
  }
  return createPassBuffers(weights.spec, Math.max(1, Math.min(rows, PREDICT_CHUNK_ROWS)), false);
}

/** Logits of rows [start, end) written into `out` at the same rows. */
export function predictChunk(weights: MlpWeights, buffers: PassBuffers, x: Float32Array, start: number, end: number, out: Float32Array): void {
  const { inputs, outputs } = weights.spec;
  const rows = end - start;
  const logits = forwardPass(weights.spec, weights, buffers, x.subarray(start * inputs, end * inputs), rows, null);
  out.set(logits.subarray(0, rows * outputs), start * outputs);
}
