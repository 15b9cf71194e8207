import { ADAM_DEFAULTS, adamStep, type OptimizerState } from './adam.js';

/**
 * The optimizers a strategy can pick (`training.optimizer`), each following its PyTorch class step for step, since
 * that is what the original trained with:
 * - `adam`: Adam with L2 weight decay added to the gradient (adam.ts), the original's default.
 * - `adamw`: Adam with decoupled weight decay (Loshchilov & Hutter): θ ← θ·(1 − lr·λ) before the Adam step on the
 *   raw gradient, as `torch.optim.AdamW`.
 * - `sgd`: g = ∇ + λ·θ; with momentum μ > 0 the buffer b = g on the first step, then μ·b + g (no dampening, no
 *   Nesterov); θ ← θ − lr·b.
 * - `rmsprop`: g = ∇ + λ·θ; v ← ρ·v + (1 − ρ)·g²; θ ← θ − lr·g/(√v + ε) (ρ 0.99, ε 1e−8, PyTorch's defaults); with
 *   momentum μ > 0 the buffer b ← μ·b + g/(√v + ε) and θ ← θ − lr·b.
 * Weight decay applies to every parameter, biases included (see adam.ts for why).
 *
 * All of them keep their state in `OptimizerState` (m: first moment or momentum buffer, v: second moment or square
 * average), so a checkpoint holds any of them the same way.
 */
export const OPTIMIZERS = ['adam', 'adamw', 'sgd', 'rmsprop'] as const;
export type OptimizerKind = (typeof OPTIMIZERS)[number];

export interface OptimizerConfig {
  readonly kind: OptimizerKind;
  readonly learningRate: number;
  readonly weightDecay: number;
  /** sgd and rmsprop; 0 = none. */
  readonly momentum: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  /** rmsprop's smoothing constant ρ. */
  readonly alpha: number;
}

/** PyTorch's defaults; sgd's momentum default 0.9 is the original's (`momentum` key). */
export const OPTIMIZER_DEFAULTS = { ...ADAM_DEFAULTS, alpha: 0.99 } as const;
export const SGD_DEFAULT_MOMENTUM = 0.9;

/** One step over the flat parameter vector. `grads` is read, not modified. */
export function optimizerStep(params: Float32Array, grads: Float32Array, state: OptimizerState, config: OptimizerConfig): void {
  switch (config.kind) {
    case 'adam':
      adamStep(params, grads, state, config);
      return;
    case 'adamw': {
      const shrink = 1 - config.learningRate * config.weightDecay;
      for (let i = 0; i < params.length; i++) params[i] *= shrink;
      adamStep(params, grads, state, { ...config, weightDecay: 0 });
      return;
    }
    case 'sgd':
      sgdStep(params, grads, state, config);
      return;
    case 'rmsprop':
      rmspropStep(params, grads, state, config);
      return;
  }
}

function sgdStep(params: Float32Array, grads: Float32Array, state: OptimizerState, config: OptimizerConfig): void {
  const { learningRate, weightDecay, momentum } = config;
  state.step += 1;
  const first = state.step === 1;
  const { m } = state;
  for (let i = 0; i < params.length; i++) {
    const g = grads[i] + weightDecay * params[i];
    let update = g;
    if (momentum !== 0) {
      update = first ? g : momentum * m[i] + g;
      m[i] = update;
    }
    params[i] -= learningRate * update;
  }
}

function rmspropStep(params: Float32Array, grads: Float32Array, state: OptimizerState, config: OptimizerConfig): void {
  const { learningRate, weightDecay, momentum, alpha, eps } = config;
  state.step += 1;
  const { m, v } = state;
  for (let i = 0; i < params.length; i++) {
    const g = grads[i] + weightDecay * params[i];
    const square = alpha * v[i] + (1 - alpha) * g * g;
    v[i] = square;
    const scaled = g / (Math.sqrt(square) + eps);
    if (momentum !== 0) {
      m[i] = momentum * m[i] + scaled;
      params[i] -= learningRate * m[i];
    } else {
      params[i] -= learningRate * scaled;
    }
  }
}
