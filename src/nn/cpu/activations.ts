import { LEAKY_RELU_SLOPE, type Activation } from '../spec.js';

/** Applies the activation in place to the first `length` values. One loop per kind keeps each loop monomorphic. */
export function activateInPlace(kind: Activation, values: Float32Array, length: number): void {
  switch (kind) {
    case 'relu':
      for (let i = 0; i < length; i++) if (values[i] < 0) values[i] = 0;
      return;
    case 'leaky_relu':
      for (let i = 0; i < length; i++) if (values[i] < 0) values[i] *= LEAKY_RELU_SLOPE;
      return;
    case 'tanh':
      for (let i = 0; i < length; i++) values[i] = Math.tanh(values[i]);
      return;
    case 'sigmoid':
      for (let i = 0; i < length; i++) values[i] = 1 / (1 + Math.exp(-values[i]));
      return;
  }
}

/**
 * grad[i] *= f'(z[i]) (times the dropout multiplier, when a mask is given), computed from the activation's own output
 * a = f(z): every supported activation's derivative is a function of its output, so the pre-activation values need
 * not be kept. (For relu and leaky_relu, a and z have the same sign; at exactly 0 the left-hand derivative is used, as
 * PyTorch does.) One fused pass, because this runs for every hidden unit of every batch.
 */
export function multiplyByActivationGradient(
  kind: Activation,
  activated: Float32Array,
  grad: Float32Array,
  length: number,
  mask: Float32Array | null,
): void {
  if (mask === null) {
    switch (kind) {
      case 'relu':
        for (let i = 0; i < length; i++) if (!(activated[i] > 0)) grad[i] = 0;
        return;
      case 'leaky_relu':
        for (let i = 0; i < length; i++) if (!(activated[i] > 0)) grad[i] *= LEAKY_RELU_SLOPE;
        return;
      case 'tanh':
        for (let i = 0; i < length; i++) grad[i] *= 1 - activated[i] * activated[i];
        return;
      case 'sigmoid':
        for (let i = 0; i < length; i++) grad[i] *= activated[i] * (1 - activated[i]);
        return;
    }
  }
  switch (kind) {
    case 'relu':
      for (let i = 0; i < length; i++) grad[i] = activated[i] > 0 ? grad[i] * mask[i] : 0;
      return;
    case 'leaky_relu':
      for (let i = 0; i < length; i++) grad[i] *= (activated[i] > 0 ? 1 : LEAKY_RELU_SLOPE) * mask[i];
      return;
    case 'tanh':
      for (let i = 0; i < length; i++) grad[i] *= (1 - activated[i] * activated[i]) * mask[i];
      return;
    case 'sigmoid':
      for (let i = 0; i < length; i++) grad[i] *= activated[i] * (1 - activated[i]) * mask[i];
      return;
  }
}
