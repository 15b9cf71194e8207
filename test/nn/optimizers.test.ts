import { describe, expect, it } from 'vitest';
import { createOptimizerState } from '../../src/nn/adam.js';
import { OPTIMIZER_DEFAULTS, optimizerStep, type OptimizerConfig, type OptimizerKind } from '../../src/nn/optimizers.js';

function config(kind: OptimizerKind, overrides: Partial<OptimizerConfig> = {}): OptimizerConfig {
  return { ...OPTIMIZER_DEFAULTS, kind, learningRate: 0.1, weightDecay: 0, momentum: 0, ...overrides };
}

/** θ after steps with the given gradients, from θ = 1. */
function run(options: OptimizerConfig, gradients: number[]): number {
  const params = Float32Array.from([1]);
  const state = createOptimizerState(1);
  for (const g of gradients) optimizerStep(params, Float32Array.from([g]), state, options);
  return params[0];
}

describe('optimizerStep (hand-computed PyTorch steps from θ = 1, gradients 0.5 then 0.2)', () => {
  it('sgd without momentum: θ − lr·g', () => {
    expect(run(config('sgd'), [0.5, 0.2])).toBeCloseTo(1 - 0.05 - 0.02, 6);
  });

  it('sgd with momentum 0.9: the buffer starts at the first gradient (b = .5, then .9·.5 + .2 = .65)', () => {
    expect(run(config('sgd', { momentum: 0.9 }), [0.5])).toBeCloseTo(0.95, 6);
    expect(run(config('sgd', { momentum: 0.9 }), [0.5, 0.2])).toBeCloseTo(0.885, 6);
  });

  it('sgd adds weight decay to the gradient (g₁ = .6, g₂ = .2 + .1·.94, b₂ = .54 + .294)', () => {
    expect(run(config('sgd', { momentum: 0.9, weightDecay: 0.1 }), [0.5, 0.2])).toBeCloseTo(0.8566, 6);
  });

  it('rmsprop: v = .99·v + .01·g², θ − lr·g/(√v + ε)', () => {
    // v₁ = .0025 → θ₁ = 1 − .01·.5/.05 = .9; v₂ = .002875 → θ₂ = .9 − .01·.2/√.002875.
    const rms = config('rmsprop', { learningRate: 0.01 });
    expect(run(rms, [0.5])).toBeCloseTo(0.9, 6);
    expect(run(rms, [0.5, 0.2])).toBeCloseTo(0.8626998346, 6);
    // Momentum 0.5 accumulates the scaled steps: b₂ = .5·10 + .2/√.002875.
    expect(run({ ...rms, momentum: 0.5 }, [0.5, 0.2])).toBeCloseTo(0.8126998446, 6);
  });

  it('adamw decays the weights directly, not through the gradient', () => {
    // θ·(1 − .1·.1) = .99, then Adam's first step ≈ lr·sign(g): .89. Adam with L2 would move from 1 by ≈ .1: .9.
    expect(run(config('adamw', { weightDecay: 0.1 }), [0.5])).toBeCloseTo(0.89, 6);
    expect(run(config('adam', { weightDecay: 0.1 }), [0.5])).toBeCloseTo(0.9, 6);
    // Without decay both are Adam.
    expect(run(config('adamw'), [0.5, 0.2])).toBe(run(config('adam'), [0.5, 0.2]));
  });

  it('does not modify the gradients it reads', () => {
    for (const kind of ['adam', 'adamw', 'sgd', 'rmsprop'] as const) {
      const grads = Float32Array.from([0.3]);
      optimizerStep(Float32Array.from([1]), grads, createOptimizerState(1), config(kind, { weightDecay: 0.5, momentum: 0.9 }));
      expect(grads[0]).toBeCloseTo(0.3, 7);
    }
  });
});
