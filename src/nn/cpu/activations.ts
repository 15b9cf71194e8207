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
 * grad[i] *= f'(z[i]), computed from the activation's own output a = f(z): every supported activation's derivative is
 * a function of its output, so the pre-activation values need not be kept. (For relu and leaky_relu, a and z have the
 * same sign; at exactly 0 the left-hand derivative is used, as PyTorch does.)
 */
export function multiplyByActivationGradient(
  kind: Activation,
  activated: Float32Array,
  grad: Float32Array,
  length: number,
): void {
  switch (kind) {
    case 'relu':
      for (let i = 0; i < length; i++) if (!(activated[i] > 0)) grad[i] = 0;
      return;
    case 'leaky_relu':
      for (let i = 0; i < length; i++) if (!(activated[i] > 0)) grad[i] *= LEAKY_RELU_SLOPE;
      return;
    case 'tanh':
      for (let i = 0; i < length; i++) {
        const a = activated[i];
        grad[i] *= 1 - a * a;
      }
      return;
    case 'sigmoid':
      for (let i = 0; i < length; i++) {
        const a = activated[i];
        grad[i] *= a * (1 - a);
      }
      return;
  }
}
