import { SeededRandom } from '../../src/util/random.js';
import { encodeWeights } from '../../src/nn/serialize.js';
import type { LabelledSet } from '../../src/nn/trainer.js';
import type { MlpWeights } from '../../src/nn/weights.js';

type IntLabelledSet = LabelledSet & { y: Int32Array };

/** Three well-separated Gaussian blobs: any working classifier gets close to 100%. */
export function gaussianBlobs(rows: number, features: number, seed: number): IntLabelledSet {
  const rng = new SeededRandom(seed);
  const centres = [0, 1, 2].map(() => Array.from({ length: features }, () => 3 * rng.nextGaussian()));
  const x = new Float32Array(rows * features);
  const y = new Int32Array(rows);
  for (let r = 0; r < rows; r++) {
    const label = r % 3;
    y[r] = label;
    for (let f = 0; f < features; f++) x[r * features + f] = centres[label][f] + 0.5 * rng.nextGaussian();
  }
  return { x, y, rows, features };
}

export function randomArray(length: number, rng: SeededRandom, scale = 1): Float32Array {
  const values = new Float32Array(length);
  for (let i = 0; i < length; i++) values[i] = scale * rng.nextGaussian();
  return values;
}

/** Rows [start, end) of a set, as views. */
export function sliceSet(set: IntLabelledSet, start: number, end: number): IntLabelledSet {
  return {
    x: set.x.subarray(start * set.features, end * set.features),
    y: set.y.subarray(start, end),
    rows: end - start,
    features: set.features,
  };
}

/** True when both serialise to the same weights.bin bytes: bit-identical weights. */
export function sameWeightBytes(a: MlpWeights, b: MlpWeights): boolean {
  return Buffer.from(encodeWeights(a)).equals(Buffer.from(encodeWeights(b)));
}
