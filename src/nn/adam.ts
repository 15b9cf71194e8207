/**
 * Adam with L2 weight decay, following PyTorch's `torch.optim.Adam` (not AdamW) step for step, because that is what
 * the original trainer used and what its hyper-parameters were tuned for.
 *
 * Weight decay applies to **all** parameters, biases included: the original passed `model.parameters()` to Adam
 * without parameter groups, so PyTorch decayed the biases too. Keeping that means the same `weight_decay` value means
 * the same thing here.
 */

export interface AdamConfig {
  readonly learningRate: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  /** L2 coefficient added to the gradient (g + λ·θ) before the moments are updated. 0 = off. */
  readonly weightDecay: number;
}

export const ADAM_DEFAULTS = { beta1: 0.9, beta2: 0.999, eps: 1e-8 } as const;

/** Everything needed to resume optimisation exactly: moments in the canonical flat parameter order. */
export interface OptimizerState {
  step: number;
  readonly m: Float32Array;
  readonly v: Float32Array;
}

export function createOptimizerState(parameterCount: number): OptimizerState {
  return { step: 0, m: new Float32Array(parameterCount), v: new Float32Array(parameterCount) };
}

/** One Adam step over the flat parameter vector. `grads` is read, not modified. */
export function adamStep(params: Float32Array, grads: Float32Array, state: OptimizerState, config: AdamConfig): void {
  const { learningRate, beta1, beta2, eps, weightDecay } = config;
  state.step += 1;
  const stepSize = learningRate / (1 - Math.pow(beta1, state.step));
  const biasCorrection2Sqrt = Math.sqrt(1 - Math.pow(beta2, state.step));
  const { m, v } = state;
  for (let i = 0; i < params.length; i++) {
    const p = params[i];
    const g = grads[i] + weightDecay * p;
    const mi = beta1 * m[i] + (1 - beta1) * g;
    const vi = beta2 * v[i] + (1 - beta2) * g * g;
    m[i] = mi;
    v[i] = vi;
    params[i] = p - (stepSize * mi) / (Math.sqrt(vi) / biasCorrection2Sqrt + eps);
  }
}

/**
 * Scales the gradients so that their global L2 norm is at most `maxNorm` (PyTorch's `clip_grad_norm_`, including its
 * 1e-6 guard). Returns the norm before clipping. A `maxNorm` of 0 or less means no clipping.
 */
export function clipGradientsByGlobalNorm(grads: Float32Array, maxNorm: number): number {
  let sumSquares = 0;
  for (let i = 0; i < grads.length; i++) sumSquares += grads[i] * grads[i];
  const norm = Math.sqrt(sumSquares);
  if (maxNorm > 0) {
    const scale = maxNorm / (norm + 1e-6);
    if (scale < 1) for (let i = 0; i < grads.length; i++) grads[i] *= scale;
  }
  return norm;
}
