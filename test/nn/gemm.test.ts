import { describe, expect, it } from 'vitest';
import { gemmNN, gemmNTBias, gemmTN } from '../../src/nn/cpu/gemm.js';
import { SeededRandom } from '../../src/util/random.js';
import { randomArray } from './helpers.js';

/** Plain triple loops in float64: the definition the blocked kernels must reproduce. */
type Element = (row: number, column: number) => number;

function reference(m: number, n: number, k: number, a: Element, b: Element): Float64Array {
  const c = new Float64Array(m * n);
  for (let i = 0; i < m; i++)
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) s += a(i, p) * b(p, j);
      c[i * n + j] = s;
    }
  return c;
}

function expectClose(actual: Float32Array, expected: Float64Array): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) expect(actual[i]).toBeCloseTo(expected[i], 4);
}

// Sizes around the 4×2 tile: exact multiples, remainders in every dimension, and degenerate 1s.
const SHAPES: [number, number, number][] = [
  [8, 6, 5],
  [7, 5, 3],
  [1, 1, 1],
  [5, 3, 9],
  [32, 64, 40],
  [3, 2, 4],
];

describe('register-blocked GEMM kernels match the naive product', () => {
  const rng = new SeededRandom(1);
  for (const [m, n, k] of SHAPES) {
    it(`${m}×${n}×${k}`, () => {
      // Forward: C[m][n] = A[m][k]·B[n][k]ᵀ + bias
      const a = randomArray(m * k, rng);
      const b = randomArray(n * k, rng);
      const bias = randomArray(n, rng);
      const c = new Float32Array(m * n);
      gemmNTBias(a, b, bias, c, m, n, k);
      const expected = reference(
        m,
        n,
        k,
        (i, p) => a[i * k + p],
        (p, j) => b[j * k + p],
      );
      expected.forEach((value, index) => (expected[index] = value + bias[index % n]));
      expectClose(c, expected);

      // Weight gradient: C[n][k] = A[m][n]ᵀ·B[m][k]
      const g = randomArray(m * n, rng);
      const tn = new Float32Array(n * k);
      gemmTN(g, a, tn, m, n, k);
      expectClose(
        tn,
        reference(
          n,
          k,
          m,
          (o, r) => g[r * n + o],
          (r, i) => a[r * k + i],
        ),
      );

      // Input gradient: C[m][k] = A[m][n]·B[n][k]
      const nn = new Float32Array(m * k);
      gemmNN(g, b, nn, m, k, n);
      expectClose(
        nn,
        reference(
          m,
          k,
          n,
          (r, o) => g[r * n + o],
          (o, i) => b[o * k + i],
        ),
      );
    });
  }
});
