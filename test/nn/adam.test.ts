import { describe, expect, it } from 'vitest';
import { adamStep, ADAM_DEFAULTS, clipGradientsByGlobalNorm, createOptimizerState } from '../../src/nn/adam.js';

const config = { ...ADAM_DEFAULTS, learningRate: 0.1, weightDecay: 0 };

describe('adamStep', () => {
  it('matches hand-computed PyTorch Adam updates', () => {
    const params = Float32Array.from([1, -2]);
    const state = createOptimizerState(2);
    // Step 1: m̂ = g and v̂ = g², so each parameter moves by lr·g/(|g| + eps) ≈ 0.1 against the gradient's sign.
    adamStep(params, Float32Array.from([0.5, -0.1]), state, config);
    expect(params[0]).toBeCloseTo(0.9, 6);
    expect(params[1]).toBeCloseTo(-1.9, 6);
    // Step 2 for θ₀ with g = 0.2: m = .9·.05 + .1·.2 = .065, v = .999·.00025 + .001·.04 = .00028975,
    // m̂ = .065/.19, v̂ = .00028975/.001999, θ = .9 − .1·m̂/(√v̂ + 1e-8) = 0.8101424839.
    adamStep(params, Float32Array.from([0.2, 0.3]), state, config);
    expect(params[0]).toBeCloseTo(0.8101424839, 6);
    expect(params[1]).toBeCloseTo(-1.9494189911, 6);
    expect(state.step).toBe(2);
  });

  it('adds weight decay to the gradient before the moments (L2, not AdamW)', () => {
    const params = Float32Array.from([1]);
    const state = createOptimizerState(1);
    const decayed = { ...config, weightDecay: 0.1 };
    // g₁ = .5 + .1·1 = .6; g₂ = .2 + .1·.9 = .29 → θ₂ = 0.8072814605 (hand-computed as above).
    adamStep(params, Float32Array.from([0.5]), state, decayed);
    adamStep(params, Float32Array.from([0.2]), state, decayed);
    expect(params[0]).toBeCloseTo(0.8072814605, 6);
  });

  it('does not modify the gradients it reads', () => {
    const grads = Float32Array.from([0.3]);
    adamStep(Float32Array.from([1]), grads, createOptimizerState(1), { ...config, weightDecay: 0.5 });
    expect(grads[0]).toBeCloseTo(0.3, 7);
  });
});

describe('clipGradientsByGlobalNorm', () => {
  it('scales the gradient vector down to the maximum norm', () => {
    const grads = Float32Array.from([3, 4]);
    expect(clipGradientsByGlobalNorm(grads, 1)).toBe(5);
    expect(grads[0]).toBeCloseTo(0.6, 5);
    expect(grads[1]).toBeCloseTo(0.8, 5);
  });

  it('leaves gradients under the limit, and all gradients when off (0)', () => {
    const small = Float32Array.from([3, 4]);
    clipGradientsByGlobalNorm(small, 10);
    expect(Array.from(small)).toEqual([3, 4]);
    const off = Float32Array.from([300, 400]);
    expect(clipGradientsByGlobalNorm(off, 0)).toBe(500);
    expect(Array.from(off)).toEqual([300, 400]);
  });
});
