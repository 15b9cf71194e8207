import { describe, expect, it } from 'vitest';
import { KtrdrError } from '../../src/errors.js';
import { decodeWeights, encodeWeights, specToJson } from '../../src/nn/serialize.js';
import { predictLogits } from '../../src/nn/predict.js';
import { initGlorotUniform, weightsFromFlat } from '../../src/nn/weights.js';
import type { MlpSpec } from '../../src/nn/spec.js';
import { SeededRandom } from '../../src/util/random.js';
import { randomArray } from './helpers.js';

const spec: MlpSpec = { inputs: 4, hidden: [5, 3], outputs: 3, activation: 'tanh', dropout: 0.2 };

function corruptError(run: () => unknown): KtrdrError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(KtrdrError);
    expect((error as KtrdrError).code).toBe('MODEL_CORRUPT');
    return error as KtrdrError;
  }
  throw new Error('expected MODEL_CORRUPT');
}

describe('weights.bin serialisation', () => {
  const weights = initGlorotUniform(spec, new SeededRandom(4));
  weights.layers.forEach((layer, l) => layer.b.forEach((_, i) => (layer.b[i] = l + i / 10)));

  it('round-trips through bytes and JSON with identical predictions', () => {
    const bytes = encodeWeights(weights);
    expect(bytes.byteLength).toBe(4 * (4 * 5 + 5 + 5 * 3 + 3 + 3 * 3 + 3));
    const specJson = JSON.parse(JSON.stringify(specToJson(spec)));
    const loaded = decodeWeights(specJson, bytes);
    expect(loaded.spec).toEqual(spec);
    expect(Buffer.from(encodeWeights(loaded)).equals(Buffer.from(bytes))).toBe(true);
    const x = randomArray(6 * 4, new SeededRandom(1));
    expect(predictLogits(loaded, x, 6)).toEqual(predictLogits(weights, x, 6));
  });

  it('lays out each layer as little-endian float32 W[out][in] row-major, then b', () => {
    const tiny: MlpSpec = { inputs: 2, hidden: [], outputs: 2, activation: 'relu', dropout: 0 };
    const bytes = encodeWeights(weightsFromFlat(tiny, Float32Array.from([1, 2, 3, 4, 0.5, -1])));
    const view = new DataView(bytes.buffer);
    // W[0][0], W[0][1], W[1][0], W[1][1], b[0], b[1]
    expect([0, 1, 2, 3, 4, 5].map((i) => view.getFloat32(4 * i, true))).toEqual([1, 2, 3, 4, 0.5, -1]);
    expect(Array.from(bytes.subarray(0, 4))).toEqual([0x00, 0x00, 0x80, 0x3f]); // 1.0f, little-endian
  });

  it('reads from a view with a byte offset (a Buffer slice of a larger file)', () => {
    const bytes = encodeWeights(weights);
    const padded = Buffer.alloc(bytes.byteLength + 3);
    padded.set(bytes, 3);
    const loaded = decodeWeights(spec, padded.subarray(3));
    expect(Buffer.from(encodeWeights(loaded)).equals(Buffer.from(bytes))).toBe(true);
  });

  it('rejects a wrong byte length with the expected and actual sizes', () => {
    const bytes = encodeWeights(weights);
    const error = corruptError(() => decodeWeights(spec, bytes.subarray(0, bytes.byteLength - 4)));
    expect(error.message).toContain(`${bytes.byteLength - 4} bytes`);
    expect(error.message).toContain(`needs ${bytes.byteLength}`);
    expect(error.message).toContain('4→5→3→3');
    corruptError(() => decodeWeights({ ...spec, hidden: [5, 4] }, bytes));
  });

  it('rejects NaN and infinite values and says where they are', () => {
    const bytes = encodeWeights(weights);
    new DataView(bytes.buffer).setFloat32(4 * (20 + 5 + 7), Number.NaN, true); // layer 1 is W[3][5]: flat 7 = W[1][2]
    expect(corruptError(() => decodeWeights(spec, bytes)).message).toContain('layer 1 W[1][2]');
    const infinite = encodeWeights(weights);
    new DataView(infinite.buffer).setFloat32(infinite.byteLength - 4, Number.POSITIVE_INFINITY, true);
    expect(corruptError(() => decodeWeights(spec, infinite)).message).toContain('layer 2 b[2]');
  });

  it('rejects an invalid stored spec as MODEL_CORRUPT', () => {
    const bytes = encodeWeights(weights);
    corruptError(() => decodeWeights({ ...spec, activation: 'swish' }, bytes));
    corruptError(() => decodeWeights({ ...spec, extra: 1 }, bytes));
    corruptError(() => decodeWeights(null, bytes));
  });
});
