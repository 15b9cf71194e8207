import { describe, expect, it } from 'vitest';
import { resolveClassWeights } from '../../src/nn/class-weights.js';
import { EarlyStopping } from '../../src/nn/early-stopping.js';
import { layerShapes, parameterCount, parseMlpSpec, type MlpSpec } from '../../src/nn/spec.js';
import { flattenWeights, initGlorotUniform } from '../../src/nn/weights.js';
import { SeededRandom } from '../../src/util/random.js';

describe('MlpSpec', () => {
  const spec: MlpSpec = { inputs: 6, hidden: [32, 16], outputs: 3, activation: 'relu', dropout: 0.2 };

  it('counts parameters as Σ in·out + out (6 → [32, 16] → 3 = 803, as in the original)', () => {
    expect(parameterCount(spec)).toBe(803);
    expect(layerShapes(spec)).toEqual([
      { inputs: 6, outputs: 32 },
      { inputs: 32, outputs: 16 },
      { inputs: 16, outputs: 3 },
    ]);
  });

  it('rejects malformed specs with a clear message', () => {
    expect(parseMlpSpec(spec)).toEqual(spec);
    expect(() => parseMlpSpec({ ...spec, activation: 'gelu' })).toThrow(/activation must be one of relu, tanh/);
    expect(() => parseMlpSpec({ ...spec, hidden: [32, 0] })).toThrow(/hidden\[1\]/);
    expect(() => parseMlpSpec({ ...spec, outputs: 0 })).toThrow(/outputs/);
    expect(parseMlpSpec({ ...spec, outputs: 1 }).outputs).toBe(1); // a regression head
    expect(() => parseMlpSpec({ ...spec, dropout: 1 })).toThrow(/dropout/);
    expect(() => parseMlpSpec({ ...spec, hidden_layers: [1] })).toThrow(/unknown key "hidden_layers"/);
  });
});

describe('initGlorotUniform', () => {
  it('draws weights within ±√(6/(fan_in+fan_out)) and zero biases, reproducibly', () => {
    const spec: MlpSpec = { inputs: 40, hidden: [64], outputs: 3, activation: 'relu', dropout: 0 };
    const weights = initGlorotUniform(spec, new SeededRandom(1));
    const limit = Math.sqrt(6 / (40 + 64));
    const W = weights.layers[0].W;
    expect(Math.max(...W)).toBeLessThanOrEqual(limit);
    expect(Math.min(...W)).toBeGreaterThanOrEqual(-limit);
    expect(Math.max(...W)).toBeGreaterThan(0.9 * limit); // really spread over the range
    expect(weights.layers.every((layer) => layer.b.every((b) => b === 0))).toBe(true);
    expect(flattenWeights(initGlorotUniform(spec, new SeededRandom(1)))).toEqual(flattenWeights(weights));
  });
});

describe('resolveClassWeights', () => {
  it("'auto' is inverse frequency with a training-sample mean of 1, and 0 for absent classes", () => {
    const labels = [0, 0, 0, 1];
    const weights = resolveClassWeights('auto', labels, 3);
    expect(Array.from(weights ?? [])).toEqual([Math.fround(4 / 6), 2, 0]);
    expect(labels.reduce((sum, label) => sum + (weights?.[label] ?? 0), 0)).toBeCloseTo(labels.length, 5);
  });

  it("'none' is unweighted, and explicit arrays are checked", () => {
    expect(resolveClassWeights('none', [0, 1], 3)).toBeNull();
    expect(Array.from(resolveClassWeights([1, 2, 0.5], [0], 3) ?? [])).toEqual([1, 2, 0.5]);
    expect(() => resolveClassWeights([1, 2], [0], 3)).toThrow(/3 classes/);
    expect(() => resolveClassWeights([1, -2, 1], [0], 3)).toThrow(/non-negative/);
    expect(() => resolveClassWeights([0, 0, 0], [0], 3)).toThrow(/not all zero/);
  });
});

describe('EarlyStopping', () => {
  it('stops after `patience` epochs without an improvement of at least min_delta', () => {
    const stopping = new EarlyStopping({ patience: 2, minDelta: 0.1 });
    expect(stopping.shouldStop(1.0)).toBe(false);
    expect(stopping.shouldStop(0.95)).toBe(false); // not 0.1 better: 1 epoch without improvement
    expect(stopping.shouldStop(0.85)).toBe(false); // 0.15 better than the best (1.0): counter resets
    expect(stopping.shouldStop(0.8)).toBe(false);
    expect(stopping.shouldStop(0.79)).toBe(true);
  });

  it('treats a validation loss of exactly 0 as an improvement, not as missing', () => {
    const stopping = new EarlyStopping({ patience: 1, minDelta: 0 });
    expect(stopping.shouldStop(0.5)).toBe(false);
    expect(stopping.shouldStop(0)).toBe(false);
    expect(stopping.shouldStop(0)).toBe(true);
  });

  it('rejects a patience below 1', () => {
    expect(() => new EarlyStopping({ patience: 0 })).toThrow(/patience/);
  });
});
