/**
 * Dense matrix kernels for the CPU backend. All matrices are row-major Float32Array; sums accumulate in float64 (JS
 * numbers) and are rounded once on store.
 *
 * Each kernel is register-blocked: a 4×2 tile of outputs is accumulated in 8 locals while the inner loop streams the
 * shared dimension, so every 6 loads feed 8 multiply-adds. A plain dot-product loop reaches about 0.75 GMAC/s in V8;
 * this layout about 2.4x that (nn-stack-evaluation.md, "Hand-written kernel tuning"). 4×2 keeps the 8 accumulators
 * and 6 operands inside the 16 x86-64 vector registers; bigger tiles spill. The three kernels cover the forward pass
 * and both backward products without materialising any transpose.
 */

/** C[m][n] = Σₖ A[m][k]·B[n][k] + bias[n]. Forward pass: A = inputs [rows][in], B = W [out][in]. */
export function gemmNTBias(a: Float32Array, b: Float32Array, bias: Float32Array, c: Float32Array, m: number, n: number, k: number): void {
  const m4 = m - (m % 4);
  const n2 = n - (n % 2);
  for (let i = 0; i < m4; i += 4) {
    const a0 = i * k;
    const a1 = a0 + k;
    const a2 = a1 + k;
    const a3 = a2 + k;
    const c0 = i * n;
    const c1 = c0 + n;
    const c2 = c1 + n;
    const c3 = c2 + n;
    for (let j = 0; j < n2; j += 2) {
      const b0 = j * k;
      const b1 = b0 + k;
      let s00 = 0,
        s01 = 0,
        s10 = 0,
        s11 = 0,
        s20 = 0,
        s21 = 0,
        s30 = 0,
        s31 = 0;
      for (let p = 0; p < k; p++) {
        const w0 = b[b0 + p];
        const w1 = b[b1 + p];
        const x0 = a[a0 + p];
        const x1 = a[a1 + p];
        const x2 = a[a2 + p];
        const x3 = a[a3 + p];
        s00 += x0 * w0;
        s01 += x0 * w1;
        s10 += x1 * w0;
        s11 += x1 * w1;
        s20 += x2 * w0;
        s21 += x2 * w1;
        s30 += x3 * w0;
        s31 += x3 * w1;
      }
      const bias0 = bias[j];
      const bias1 = bias[j + 1];
      c[c0 + j] = s00 + bias0;
      c[c0 + j + 1] = s01 + bias1;
      c[c1 + j] = s10 + bias0;
      c[c1 + j + 1] = s11 + bias1;
      c[c2 + j] = s20 + bias0;
      c[c2 + j + 1] = s21 + bias1;
      c[c3 + j] = s30 + bias0;
      c[c3 + j + 1] = s31 + bias1;
    }
    if (n2 < n) {
      const b0 = n2 * k;
      let s0 = 0,
        s1 = 0,
        s2 = 0,
        s3 = 0;
      for (let p = 0; p < k; p++) {
        const w = b[b0 + p];
        s0 += a[a0 + p] * w;
        s1 += a[a1 + p] * w;
        s2 += a[a2 + p] * w;
        s3 += a[a3 + p] * w;
      }
      const bias0 = bias[n2];
      c[c0 + n2] = s0 + bias0;
      c[c1 + n2] = s1 + bias0;
      c[c2 + n2] = s2 + bias0;
      c[c3 + n2] = s3 + bias0;
    }
  }
  for (let i = m4; i < m; i++) {
    const a0 = i * k;
    for (let j = 0; j < n; j++) {
      const b0 = j * k;
      let s = 0;
      for (let p = 0; p < k; p++) s += a[a0 + p] * b[b0 + p];
      c[i * n + j] = s + bias[j];
    }
  }
}

/**
 * C[n][k] = Σᵣ A[r][n]·B[r][k] (C = Aᵀ·B). Weight gradient: A = dZ [rows][out], B = layer input [rows][in], C = dW
 * [out][in]. The tile is 4 outputs × 2 inputs; the inner loop walks the rows.
 */
export function gemmTN(a: Float32Array, b: Float32Array, c: Float32Array, rows: number, n: number, k: number): void {
  const n4 = n - (n % 4);
  const k2 = k - (k % 2);
  for (let o = 0; o < n4; o += 4) {
    const c0 = o * k;
    const c1 = c0 + k;
    const c2 = c1 + k;
    const c3 = c2 + k;
    for (let i = 0; i < k2; i += 2) {
      let s00 = 0,
        s01 = 0,
        s10 = 0,
        s11 = 0,
        s20 = 0,
        s21 = 0,
        s30 = 0,
        s31 = 0;
      for (let r = 0, pa = o, pb = i; r < rows; r++, pa += n, pb += k) {
        const x0 = b[pb];
        const x1 = b[pb + 1];
        const g0 = a[pa];
        const g1 = a[pa + 1];
        const g2 = a[pa + 2];
        const g3 = a[pa + 3];
        s00 += g0 * x0;
        s01 += g0 * x1;
        s10 += g1 * x0;
        s11 += g1 * x1;
        s20 += g2 * x0;
        s21 += g2 * x1;
        s30 += g3 * x0;
        s31 += g3 * x1;
      }
      c[c0 + i] = s00;
      c[c0 + i + 1] = s01;
      c[c1 + i] = s10;
      c[c1 + i + 1] = s11;
      c[c2 + i] = s20;
      c[c2 + i + 1] = s21;
      c[c3 + i] = s30;
      c[c3 + i + 1] = s31;
    }
    if (k2 < k) {
      let s0 = 0,
        s1 = 0,
        s2 = 0,
        s3 = 0;
      for (let r = 0, pa = o, pb = k2; r < rows; r++, pa += n, pb += k) {
        const x = b[pb];
        s0 += a[pa] * x;
        s1 += a[pa + 1] * x;
        s2 += a[pa + 2] * x;
        s3 += a[pa + 3] * x;
      }
      c[c0 + k2] = s0;
      c[c1 + k2] = s1;
      c[c2 + k2] = s2;
      c[c3 + k2] = s3;
    }
  }
  for (let o = n4; o < n; o++) {
    for (let i = 0; i < k; i++) {
      let s = 0;
      for (let r = 0, pa = o, pb = i; r < rows; r++, pa += n, pb += k) s += a[pa] * b[pb];
      c[o * k + i] = s;
    }
  }
}

/**
 * C[m][n] = Σₖ A[m][k]·B[k][n]. Input gradient: A = dZ [rows][out], B = W [out][in], C = dX [rows][in]. The tile is
 * 4 rows × 2 inputs; the inner loop walks the layer's outputs.
 */
export function gemmNN(a: Float32Array, b: Float32Array, c: Float32Array, m: number, n: number, k: number): void {
  const m4 = m - (m % 4);
  const n2 = n - (n % 2);
  for (let i = 0; i < m4; i += 4) {
    const a0 = i * k;
    const a1 = a0 + k;
    const a2 = a1 + k;
    const a3 = a2 + k;
    const c0 = i * n;
    const c1 = c0 + n;
    const c2 = c1 + n;
    const c3 = c2 + n;
    for (let j = 0; j < n2; j += 2) {
      let s00 = 0,
        s01 = 0,
        s10 = 0,
        s11 = 0,
        s20 = 0,
        s21 = 0,
        s30 = 0,
        s31 = 0;
      for (let p = 0, pb = j; p < k; p++, pb += n) {
        const w0 = b[pb];
        const w1 = b[pb + 1];
        const g0 = a[a0 + p];
        const g1 = a[a1 + p];
        const g2 = a[a2 + p];
        const g3 = a[a3 + p];
        s00 += g0 * w0;
        s01 += g0 * w1;
        s10 += g1 * w0;
        s11 += g1 * w1;
        s20 += g2 * w0;
        s21 += g2 * w1;
        s30 += g3 * w0;
        s31 += g3 * w1;
      }
      c[c0 + j] = s00;
      c[c0 + j + 1] = s01;
      c[c1 + j] = s10;
      c[c1 + j + 1] = s11;
      c[c2 + j] = s20;
      c[c2 + j + 1] = s21;
      c[c3 + j] = s30;
      c[c3 + j + 1] = s31;
    }
    if (n2 < n) {
      let s0 = 0,
        s1 = 0,
        s2 = 0,
        s3 = 0;
      for (let p = 0, pb = n2; p < k; p++, pb += n) {
        const w = b[pb];
        s0 += a[a0 + p] * w;
        s1 += a[a1 + p] * w;
        s2 += a[a2 + p] * w;
        s3 += a[a3 + p] * w;
      }
      c[c0 + n2] = s0;
      c[c1 + n2] = s1;
      c[c2 + n2] = s2;
      c[c3 + n2] = s3;
    }
  }
  for (let i = m4; i < m; i++) {
    const a0 = i * k;
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0, pb = j; p < k; p++, pb += n) s += a[a0 + p] * b[pb];
      c[i * n + j] = s;
    }
  }
}
