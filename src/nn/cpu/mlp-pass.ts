import type { SeededRandom } from '../../util/random.js';
import { CROSS_ENTROPY, trainingLoss, type TrainingLoss } from '../loss.js';
import { layerShapes, parameterCount, type LayerShape, type MlpSpec } from '../spec.js';
import { weightsFromFlat, type MlpWeights } from '../weights.js';
import { activateInPlace, multiplyByActivationGradient } from './activations.js';
import { gemmNN, gemmNTBias, gemmTN } from './gemm.js';

/**
 * Forward and backward passes of one batch on the CPU, over parameters held in the canonical flat order
 * (see weights.ts). All buffers are allocated once for the largest batch, so the training loop allocates nothing.
 */

export interface PassBuffers {
  readonly maxRows: number;
  readonly shapes: readonly LayerShape[];
  /** Per hidden layer: activation output before dropout [rows][width]. */
  readonly activated: Float32Array[];
  /** Per hidden layer: output after dropout, the next layer's input. The same array as `activated` without dropout. */
  readonly dropped: Float32Array[];
  /** Per hidden layer: dropout multipliers, 0 or 1/(1−p); null without dropout. */
  readonly masks: (Float32Array | null)[];
  /** Per hidden layer: gradient with respect to that layer's output; only when built for training. */
  readonly gradHidden: Float32Array[];
  readonly logits: Float32Array;
  /** dLoss/dLogits, filled by the loss before `backwardPass`. */
  readonly gradLogits: Float32Array;
  /** Whether the last forward pass drew dropout masks; the backward pass must follow the same path. */
  dropoutApplied: boolean;
}

export function createPassBuffers(spec: MlpSpec, maxRows: number, forTraining: boolean): PassBuffers {
  const shapes = layerShapes(spec);
  const hiddenWidths = spec.hidden;
  const useDropout = forTraining && spec.dropout > 0;
  const activated = hiddenWidths.map((width) => new Float32Array(maxRows * width));
  return {
    maxRows,
    shapes,
    activated,
    dropped: activated.map((buffer) => (useDropout ? new Float32Array(buffer.length) : buffer)),
    masks: activated.map((buffer) => (useDropout ? new Float32Array(buffer.length) : null)),
    gradHidden: forTraining ? hiddenWidths.map((width) => new Float32Array(maxRows * width)) : [],
    logits: new Float32Array(maxRows * spec.outputs),
    gradLogits: new Float32Array(forTraining ? maxRows * spec.outputs : 0),
    dropoutApplied: false,
  };
}

/**
 * Computes the logits of `rows` input rows into `buffers.logits`. With a generator, dropout masks are drawn from it
 * (layer by layer, row-major, one draw per unit) so that the same generator state gives the same masks.
 */
export function forwardPass(
  spec: MlpSpec,
  params: MlpWeights,
  buffers: PassBuffers,
  input: Float32Array,
  rows: number,
  dropoutRng: SeededRandom | null,
): Float32Array {
  const { shapes } = buffers;
  const hiddenCount = shapes.length - 1;
  const keep = 1 - spec.dropout;
  const keepScale = 1 / keep;
  let layerInput = input;
  // Buffers built for inference have no masks; dropout then stays off whatever generator is passed.
  buffers.dropoutApplied = dropoutRng !== null && spec.dropout > 0 && hiddenCount > 0 && buffers.masks[0] !== null;
  for (let l = 0; l < hiddenCount; l++) {
    const { inputs, outputs } = shapes[l];
    const activated = buffers.activated[l];
    gemmNTBias(layerInput, params.layers[l].W, params.layers[l].b, activated, rows, outputs, inputs);
    const length = rows * outputs;
    activateInPlace(spec.activation, activated, length);
    const mask = buffers.masks[l];
    if (buffers.dropoutApplied && mask !== null && dropoutRng !== null) {
      const dropped = buffers.dropped[l];
      for (let i = 0; i < length; i++) {
        const multiplier = dropoutRng.next() < keep ? keepScale : 0;
        mask[i] = multiplier;
        dropped[i] = activated[i] * multiplier;
      }
      layerInput = dropped;
    } else {
      layerInput = activated;
    }
  }
  const { inputs, outputs } = shapes[hiddenCount];
  const output = params.layers[hiddenCount];
  gemmNTBias(layerInput, output.W, output.b, buffers.logits, rows, outputs, inputs);
  return buffers.logits;
}

/**
 * Backpropagates `buffers.gradLogits` through the network of the preceding `forwardPass` (same rows, same dropout
 * setting) and overwrites `grads` with dLoss/dθ. The input gradient of the first layer is never needed, so it is
 * never computed.
 */
export function backwardPass(spec: MlpSpec, params: MlpWeights, buffers: PassBuffers, input: Float32Array, rows: number, grads: MlpWeights): void {
  const { shapes, dropoutApplied } = buffers;
  let gradOutput = buffers.gradLogits;
  for (let l = shapes.length - 1; l >= 0; l--) {
    const { inputs, outputs } = shapes[l];
    const layerInput = l === 0 ? input : dropoutApplied ? buffers.dropped[l - 1] : buffers.activated[l - 1];
    gemmTN(gradOutput, layerInput, grads.layers[l].W, rows, outputs, inputs);
    const gradBias = grads.layers[l].b;
    for (let o = 0; o < outputs; o++) {
      let sum = 0;
      for (let r = 0, p = o; r < rows; r++, p += outputs) sum += gradOutput[p];
      gradBias[o] = sum;
    }
    if (l === 0) break;
    const gradInput = buffers.gradHidden[l - 1];
    gemmNN(gradOutput, params.layers[l].W, gradInput, rows, inputs, outputs);
    const mask = dropoutApplied ? buffers.masks[l - 1] : null;
    multiplyByActivationGradient(spec.activation, buffers.activated[l - 1], gradInput, rows * inputs, mask);
    gradOutput = gradInput;
  }
}

/**
 * Loss and parameter gradients of one batch, without an optimizer step. The backend does the same steps in place;
 * this allocating form is what the finite-difference gradient check exercises.
 */
export function lossAndGradients(
  weights: MlpWeights,
  x: Float32Array,
  labels: ArrayLike<number>,
  rows: number,
  classWeights: Float32Array | null,
  dropoutRng: SeededRandom | null,
  lossKind: TrainingLoss = CROSS_ENTROPY,
): { loss: number; grads: MlpWeights } {
  const { spec } = weights;
  const buffers = createPassBuffers(spec, rows, true);
  const logits = forwardPass(spec, weights, buffers, x, rows, dropoutRng);
  const { loss } = trainingLoss(lossKind, logits, labels, rows, spec.outputs, classWeights, buffers.gradLogits);
  const grads = weightsFromFlat(spec, new Float32Array(parameterCount(spec)));
  backwardPass(spec, weights, buffers, x, rows, grads);
  return { loss, grads };
}
