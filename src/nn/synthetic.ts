import { SeededRandom } from '../util/random.js';

/**
 * A synthetic 3-class problem that a linear model cannot solve but a small MLP can (nn-stack-evaluation.md,
 * "Protocol"): features ~ N(0, 1); the label is the argmax of three nonlinear scores (products, sin, tanh, |·|,
 * squares) of 8 random projections, plus N(0, 0.35) noise. Used by the tests, the benchmark and any future backend's
 * conformance run, so they all train on the same data for the same seed.
 */
export interface SyntheticClassification {
  x: Float32Array;
  y: Int32Array;
  rows: number;
  features: number;
  classes: 3;
}

const PROJECTIONS = 8;
const LABEL_NOISE = 0.35;

export function makeSyntheticClassification(rows: number, features: number, seed: number): SyntheticClassification {
  const rng = new SeededRandom(seed);
  const projections = new Float64Array(PROJECTIONS * features);
  const scale = 1 / Math.sqrt(features);
  for (let i = 0; i < projections.length; i++) projections[i] = rng.nextGaussian() * scale;

  const x = new Float32Array(rows * features);
  const y = new Int32Array(rows);
  const p = new Float64Array(PROJECTIONS);
  for (let r = 0; r < rows; r++) {
    const base = r * features;
    for (let f = 0; f < features; f++) x[base + f] = rng.nextGaussian();
    for (let k = 0; k < PROJECTIONS; k++) {
      let sum = 0;
      for (let f = 0; f < features; f++) sum += projections[k * features + f] * x[base + f];
      p[k] = sum;
    }
    const scores = [
      p[0] * p[1] + Math.sin(2 * p[2]) + 0.5 * Math.abs(p[3]),
      1.5 * Math.tanh(p[4]) + 0.5 * p[5] * p[5] - 0.3 * p[0],
      Math.sin(p[6]) + 0.8 * p[7] * p[3] + 0.4 * Math.abs(p[1]),
    ];
    let label = 0;
    let best = -Infinity;
    for (let c = 0; c < 3; c++) {
      const score = scores[c] + LABEL_NOISE * rng.nextGaussian();
      if (score > best) {
        best = score;
        label = c;
      }
    }
    y[r] = label;
  }
  return { x, y, rows, features, classes: 3 };
}
