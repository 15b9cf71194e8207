/**
 * The wasm-simd backend's arithmetic, compiled by AssemblyScript to WebAssembly with plain SIMD128 (no relaxed-simd,
 * so no fused multiply-add whose rounding could differ by CPU). Every pointer is a byte offset into the imported memory,
 * which one training's threads share and the JS side lays out (wasm-arena.ts); matrices are row-major f32. The only
 * state of an instance is its own dropout generator.
 *
 * Determinism: every output element is one sequential sum, in a fixed order, whatever tile or tail path computes it
 * (a lane of a vector accumulator adds exactly what the scalar tail would, in the same order). Results therefore do
 * not depend on how rows or columns are blocked, and wasm float arithmetic is IEEE-exact on every machine.
 */

// ==== GEMM ========================================================================================================

const ACT_NONE: i32 = 0;
const ACT_RELU: i32 = 1;
const ACT_LEAKY_RELU: i32 = 2;
/** spec.ts LEAKY_RELU_SLOPE. */
const LEAKY_SLOPE: f32 = 0.01;

function activateVector(kind: i32, v: v128): v128 {
  if (kind == ACT_RELU) return f32x4.max(v, f32x4.splat(0));
  if (kind == ACT_LEAKY_RELU) return v128.bitselect(f32x4.mul(v, f32x4.splat(LEAKY_SLOPE)), v, f32x4.lt(v, f32x4.splat(0)));
  return v;
}

function activateScalar(kind: i32, v: f32): f32 {
  if (kind == ACT_RELU) return v < 0 ? 0 : v;
  if (kind == ACT_LEAKY_RELU) return v < 0 ? v * LEAKY_SLOPE : v;
  return v;
}

function biasVector(bias: usize, j: i32): v128 {
  return bias == 0 ? f32x4.splat(0) : v128.load(bias + ((<usize>j) << 2));
}

function biasScalar(bias: usize, j: i32): f32 {
  return bias == 0 ? <f32>0 : load<f32>(bias + ((<usize>j) << 2));
}

/**
 * C[m][n] = act(bias[n] + Σₚ A[m][p]·B[p][n]), p ascending. Forward pass with B = Wᵀ [in][out]; input gradient with
 * A = dZ, B = W [out][in]. `bias` 0 means none. The main tile is 4 rows × 8 columns: 8 accumulators, 2 loads of B and
 * 4 broadcasts of A per step, which fits the 16 vector registers of x86-64 and arm64 without spilling.
 */
export function gemmNN(a: usize, b: usize, c: usize, m: i32, n: i32, k: i32, bias: usize, kind: i32): void {
  const m4 = m & ~3;
  const n8 = n & ~7;
  const n4 = n & ~3;
  const rowA = (<usize>k) << 2;
  const rowB = (<usize>n) << 2;
  for (let i = 0; i < m4; i += 4) {
    const a0 = a + <usize>i * rowA;
    const c0 = c + <usize>i * rowB;
    for (let j = 0; j < n8; j += 8) {
      const bj = b + ((<usize>j) << 2);
      const init0 = biasVector(bias, j);
      const init1 = biasVector(bias, j + 4);
      let s00 = init0,
        s01 = init1,
        s10 = init0,
        s11 = init1;
      let s20 = init0,
        s21 = init1,
        s30 = init0,
        s31 = init1;
      for (let p = 0; p < k; p++) {
        const bp = bj + <usize>p * rowB;
        const w0 = v128.load(bp);
        const w1 = v128.load(bp, 16);
        const ap = a0 + ((<usize>p) << 2);
        const x0 = f32x4.splat(load<f32>(ap));
        const x1 = f32x4.splat(load<f32>(ap + rowA));
        const x2 = f32x4.splat(load<f32>(ap + 2 * rowA));
        const x3 = f32x4.splat(load<f32>(ap + 3 * rowA));
        s00 = f32x4.add(s00, f32x4.mul(x0, w0));
        s01 = f32x4.add(s01, f32x4.mul(x0, w1));
        s10 = f32x4.add(s10, f32x4.mul(x1, w0));
        s11 = f32x4.add(s11, f32x4.mul(x1, w1));
        s20 = f32x4.add(s20, f32x4.mul(x2, w0));
        s21 = f32x4.add(s21, f32x4.mul(x2, w1));
        s30 = f32x4.add(s30, f32x4.mul(x3, w0));
        s31 = f32x4.add(s31, f32x4.mul(x3, w1));
      }
      const cj = c0 + ((<usize>j) << 2);
      v128.store(cj, activateVector(kind, s00));
      v128.store(cj, activateVector(kind, s01), 16);
      v128.store(cj + rowB, activateVector(kind, s10));
      v128.store(cj + rowB, activateVector(kind, s11), 16);
      v128.store(cj + 2 * rowB, activateVector(kind, s20));
      v128.store(cj + 2 * rowB, activateVector(kind, s21), 16);
      v128.store(cj + 3 * rowB, activateVector(kind, s30));
      v128.store(cj + 3 * rowB, activateVector(kind, s31), 16);
    }
    for (let j = n8; j < n4; j += 4) {
      const bj = b + ((<usize>j) << 2);
      const init = biasVector(bias, j);
      let s0 = init,
        s1 = init,
        s2 = init,
        s3 = init;
      for (let p = 0; p < k; p++) {
        const w = v128.load(bj + <usize>p * rowB);
        const ap = a0 + ((<usize>p) << 2);
        s0 = f32x4.add(s0, f32x4.mul(f32x4.splat(load<f32>(ap)), w));
        s1 = f32x4.add(s1, f32x4.mul(f32x4.splat(load<f32>(ap + rowA)), w));
        s2 = f32x4.add(s2, f32x4.mul(f32x4.splat(load<f32>(ap + 2 * rowA)), w));
        s3 = f32x4.add(s3, f32x4.mul(f32x4.splat(load<f32>(ap + 3 * rowA)), w));
      }
      const cj = c0 + ((<usize>j) << 2);
      v128.store(cj, activateVector(kind, s0));
      v128.store(cj + rowB, activateVector(kind, s1));
      v128.store(cj + 2 * rowB, activateVector(kind, s2));
      v128.store(cj + 3 * rowB, activateVector(kind, s3));
    }
    for (let j = n4; j < n; j++) {
      const bj = b + ((<usize>j) << 2);
      const init = biasScalar(bias, j);
      let s0 = init,
        s1 = init,
        s2 = init,
        s3 = init;
      for (let p = 0; p < k; p++) {
        const w = load<f32>(bj + <usize>p * rowB);
        const ap = a0 + ((<usize>p) << 2);
        s0 += load<f32>(ap) * w;
        s1 += load<f32>(ap + rowA) * w;
        s2 += load<f32>(ap + 2 * rowA) * w;
        s3 += load<f32>(ap + 3 * rowA) * w;
      }
      const cj = c0 + ((<usize>j) << 2);
      store<f32>(cj, activateScalar(kind, s0));
      store<f32>(cj + rowB, activateScalar(kind, s1));
      store<f32>(cj + 2 * rowB, activateScalar(kind, s2));
      store<f32>(cj + 3 * rowB, activateScalar(kind, s3));
    }
  }
  for (let i = m4; i < m; i++) {
    const ai = a + <usize>i * rowA;
    const ci = c + <usize>i * rowB;
    for (let j = 0; j < n4; j += 4) {
      const bj = b + ((<usize>j) << 2);
      let s = biasVector(bias, j);
      for (let p = 0; p < k; p++) {
        s = f32x4.add(s, f32x4.mul(f32x4.splat(load<f32>(ai + ((<usize>p) << 2))), v128.load(bj + <usize>p * rowB)));
      }
      v128.store(ci + ((<usize>j) << 2), activateVector(kind, s));
    }
    for (let j = n4; j < n; j++) {
      const bj = b + ((<usize>j) << 2);
      let s = biasScalar(bias, j);
      for (let p = 0; p < k; p++) s += load<f32>(ai + ((<usize>p) << 2)) * load<f32>(bj + <usize>p * rowB);
      store<f32>(ci + ((<usize>j) << 2), activateScalar(kind, s));
    }
  }
}

/**
 * C[n][k] = Σᵣ A[r][n]·B[r][k], r ascending (C = Aᵀ·B): the weight gradient, with A = dZ [rows][out] and B = the
 * layer input [rows][in]. Tile: 4 outputs × 8 inputs, the inner loop walking the rows.
 */
export function gemmTN(a: usize, b: usize, c: usize, rows: i32, n: i32, k: i32): void {
  const n4 = n & ~3;
  const k8 = k & ~7;
  const k4 = k & ~3;
  const rowA = (<usize>n) << 2;
  const rowB = (<usize>k) << 2;
  for (let o = 0; o < n4; o += 4) {
    const ao = a + ((<usize>o) << 2);
    const co = c + <usize>o * rowB;
    for (let i = 0; i < k8; i += 8) {
      const bi = b + ((<usize>i) << 2);
      let s00 = f32x4.splat(0),
        s01 = f32x4.splat(0),
        s10 = f32x4.splat(0),
        s11 = f32x4.splat(0);
      let s20 = f32x4.splat(0),
        s21 = f32x4.splat(0),
        s30 = f32x4.splat(0),
        s31 = f32x4.splat(0);
      for (let r = 0; r < rows; r++) {
        const br = bi + <usize>r * rowB;
        const x0 = v128.load(br);
        const x1 = v128.load(br, 16);
        const ar = ao + <usize>r * rowA;
        const g0 = f32x4.splat(load<f32>(ar));
        const g1 = f32x4.splat(load<f32>(ar, 4));
        const g2 = f32x4.splat(load<f32>(ar, 8));
        const g3 = f32x4.splat(load<f32>(ar, 12));
        s00 = f32x4.add(s00, f32x4.mul(g0, x0));
        s01 = f32x4.add(s01, f32x4.mul(g0, x1));
        s10 = f32x4.add(s10, f32x4.mul(g1, x0));
        s11 = f32x4.add(s11, f32x4.mul(g1, x1));
        s20 = f32x4.add(s20, f32x4.mul(g2, x0));
        s21 = f32x4.add(s21, f32x4.mul(g2, x1));
        s30 = f32x4.add(s30, f32x4.mul(g3, x0));
        s31 = f32x4.add(s31, f32x4.mul(g3, x1));
      }
      const ci = co + ((<usize>i) << 2);
      v128.store(ci, s00);
      v128.store(ci, s01, 16);
      v128.store(ci + rowB, s10);
      v128.store(ci + rowB, s11, 16);
      v128.store(ci + 2 * rowB, s20);
      v128.store(ci + 2 * rowB, s21, 16);
      v128.store(ci + 3 * rowB, s30);
      v128.store(ci + 3 * rowB, s31, 16);
    }
    for (let i = k8; i < k; i++) {
      let s0: f32 = 0,
        s1: f32 = 0,
        s2: f32 = 0,
        s3: f32 = 0;
      for (let r = 0; r < rows; r++) {
        const x = load<f32>(b + <usize>r * rowB + ((<usize>i) << 2));
        const ar = ao + <usize>r * rowA;
        s0 += load<f32>(ar) * x;
        s1 += load<f32>(ar, 4) * x;
        s2 += load<f32>(ar, 8) * x;
        s3 += load<f32>(ar, 12) * x;
      }
      const ci = co + ((<usize>i) << 2);
      store<f32>(ci, s0);
      store<f32>(ci + rowB, s1);
      store<f32>(ci + 2 * rowB, s2);
      store<f32>(ci + 3 * rowB, s3);
    }
  }
  for (let o = n4; o < n; o++) {
    const ao = a + ((<usize>o) << 2);
    const co = c + <usize>o * rowB;
    for (let i = 0; i < k4; i += 4) {
      let s = f32x4.splat(0);
      for (let r = 0; r < rows; r++) {
        s = f32x4.add(s, f32x4.mul(f32x4.splat(load<f32>(ao + <usize>r * rowA)), v128.load(b + <usize>r * rowB + ((<usize>i) << 2))));
      }
      v128.store(co + ((<usize>i) << 2), s);
    }
    for (let i = k4; i < k; i++) {
      let s: f32 = 0;
      for (let r = 0; r < rows; r++) s += load<f32>(ao + <usize>r * rowA) * load<f32>(b + <usize>r * rowB + ((<usize>i) << 2));
      store<f32>(co + ((<usize>i) << 2), s);
    }
  }
}

/** out[j] = Σᵣ A[r][j], r ascending: the bias gradient. */
export function columnSums(a: usize, out: usize, rows: i32, n: i32): void {
  const n4 = n & ~3;
  const row = (<usize>n) << 2;
  for (let j = 0; j < n4; j += 4) {
    let s = f32x4.splat(0);
    for (let r = 0; r < rows; r++) s = f32x4.add(s, v128.load(a + <usize>r * row + ((<usize>j) << 2)));
    v128.store(out + ((<usize>j) << 2), s);
  }
  for (let j = n4; j < n; j++) {
    let s: f32 = 0;
    for (let r = 0; r < rows; r++) s += load<f32>(a + <usize>r * row + ((<usize>j) << 2));
    store<f32>(out + ((<usize>j) << 2), s);
  }
}

/**
 * dst[c][r] = src[r][c]: the forward pass multiplies by Wᵀ, refreshed after every optimizer step (on the serial path
 * between two batches, so it is done 4×4 tiles at a time: four row loads, eight shuffles, four column stores).
 */
export function transpose(src: usize, dst: usize, rows: i32, cols: i32): void {
  const rowBytes = (<usize>cols) << 2;
  const colBytes = (<usize>rows) << 2;
  const rows4 = rows & ~3;
  const cols4 = cols & ~3;
  for (let r = 0; r < rows4; r += 4) {
    const from = src + <usize>r * rowBytes;
    const to = dst + ((<usize>r) << 2);
    for (let c = 0; c < cols4; c += 4) {
      const at = from + ((<usize>c) << 2);
      const r0 = v128.load(at);
      const r1 = v128.load(at + rowBytes);
      const r2 = v128.load(at + 2 * rowBytes);
      const r3 = v128.load(at + 3 * rowBytes);
      const low01 = f32x4.shuffle(r0, r1, 0, 4, 1, 5);
      const high01 = f32x4.shuffle(r0, r1, 2, 6, 3, 7);
      const low23 = f32x4.shuffle(r2, r3, 0, 4, 1, 5);
      const high23 = f32x4.shuffle(r2, r3, 2, 6, 3, 7);
      const out = to + <usize>c * colBytes;
      v128.store(out, f32x4.shuffle(low01, low23, 0, 1, 4, 5));
      v128.store(out + colBytes, f32x4.shuffle(low01, low23, 2, 3, 6, 7));
      v128.store(out + 2 * colBytes, f32x4.shuffle(high01, high23, 0, 1, 4, 5));
      v128.store(out + 3 * colBytes, f32x4.shuffle(high01, high23, 2, 3, 6, 7));
    }
    for (let i = 0; i < 4; i++) {
      for (let c = cols4; c < cols; c++) {
        store<f32>(dst + ((<usize>(c * rows + r + i)) << 2), load<f32>(from + <usize>i * rowBytes + ((<usize>c) << 2)));
      }
    }
  }
  for (let r = rows4; r < rows; r++) {
    const from = src + <usize>r * rowBytes;
    for (let c = 0; c < cols; c++) store<f32>(dst + ((<usize>(c * rows + r)) << 2), load<f32>(from + ((<usize>c) << 2)));
  }
}

// ==== Batches, dropout, activation gradients ======================================================================

/** Copies rows order[start…start+rows) of a [*][width] matrix into `out`, densely. */
export function gatherRows(source: usize, order: usize, start: i32, rows: i32, width: i32, out: usize): void {
  const bytes = (<usize>width) << 2;
  for (let r = 0; r < rows; r++) {
    const row = load<i32>(order + ((<usize>(start + r)) << 2));
    memory.copy(out + <usize>r * bytes, source + <usize>row * bytes, bytes);
  }
}

/**
 * The dropout generator: mulberry32, the same sequence as util/random.ts SeededRandom, so a state exported here
 * continues there and the masks are the ones the js-cpu backend would draw.
 */
let rngState: u32 = 0;

export function setRngState(state: u32): void {
  rngState = state;
}

export function getRngState(): u32 {
  return rngState;
}

function nextU32(): u32 {
  rngState += 0x6d2b79f5;
  let t = rngState;
  t = (t ^ (t >>> 15)) * (t | 1);
  t ^= t + (t ^ (t >>> 7)) * (t | 61);
  return t ^ (t >>> 14);
}

/**
 * One draw per unit in row-major order: mask = keepScale when u/2³² < keep (tested as u < keep·2³², exact in f64),
 * else 0; dropped = activated · mask.
 */
export function dropout(activated: usize, dropped: usize, mask: usize, length: i32, keepThreshold: f64, keepScale: f32): void {
  for (let i = 0; i < length; i++) {
    const multiplier: f32 = <f64>nextU32() < keepThreshold ? keepScale : 0;
    const at = (<usize>i) << 2;
    store<f32>(mask + at, multiplier);
    store<f32>(dropped + at, load<f32>(activated + at) * multiplier);
  }
}

/**
 * grad *= f'(z)·mask for relu (kind 1) and leaky relu (kind 2), from the activation's output (a and z share their
 * sign; at 0 the left-hand derivative, as activations.ts). `mask` 0 means no dropout.
 */
export function activationGradient(kind: i32, activated: usize, grad: usize, mask: usize, length: i32): void {
  const zero = f32x4.splat(0);
  const slope = f32x4.splat(kind == ACT_LEAKY_RELU ? LEAKY_SLOPE : 0);
  const length4 = length & ~3;
  for (let i = 0; i < length4; i += 4) {
    const at = (<usize>i) << 2;
    const positive = f32x4.gt(v128.load(activated + at), zero);
    let g = v128.load(grad + at);
    g = v128.bitselect(g, f32x4.mul(g, slope), positive);
    if (mask != 0) g = f32x4.mul(g, v128.load(mask + at));
    v128.store(grad + at, g);
  }
  const s: f32 = kind == ACT_LEAKY_RELU ? LEAKY_SLOPE : 0;
  for (let i = length4; i < length; i++) {
    const at = (<usize>i) << 2;
    let g = load<f32>(grad + at);
    g = load<f32>(activated + at) > 0 ? g : g * s;
    if (mask != 0) g *= load<f32>(mask + at);
    store<f32>(grad + at, g);
  }
}

// ==== Optimizer ===================================================================================================

/**
 * One Adam step (adam.ts, PyTorch semantics with L2 weight decay) over `length` parameters. `stepSize` and
 * `correction2Sqrt` carry the bias corrections, computed once per step by the caller.
 */
export function adam(
  params: usize,
  grads: usize,
  m: usize,
  v: usize,
  length: i32,
  stepSize: f32,
  correction2Sqrt: f32,
  beta1: f32,
  beta2: f32,
  eps: f32,
  weightDecay: f32,
): void {
  const b1 = f32x4.splat(beta1);
  const b2 = f32x4.splat(beta2);
  const rb1 = f32x4.splat(1 - beta1);
  const rb2 = f32x4.splat(1 - beta2);
  const wd = f32x4.splat(weightDecay);
  const lr = f32x4.splat(stepSize);
  const c2 = f32x4.splat(correction2Sqrt);
  const e = f32x4.splat(eps);
  const length4 = length & ~3;
  for (let i = 0; i < length4; i += 4) {
    const at = (<usize>i) << 2;
    const p = v128.load(params + at);
    const g = f32x4.add(v128.load(grads + at), f32x4.mul(wd, p));
    const mi = f32x4.add(f32x4.mul(b1, v128.load(m + at)), f32x4.mul(rb1, g));
    const vi = f32x4.add(f32x4.mul(b2, v128.load(v + at)), f32x4.mul(f32x4.mul(rb2, g), g));
    v128.store(m + at, mi);
    v128.store(v + at, vi);
    const denominator = f32x4.add(f32x4.div(f32x4.sqrt(vi), c2), e);
    v128.store(params + at, f32x4.sub(p, f32x4.div(f32x4.mul(lr, mi), denominator)));
  }
  for (let i = length4; i < length; i++) {
    const at = (<usize>i) << 2;
    const p = load<f32>(params + at);
    const g = load<f32>(grads + at) + weightDecay * p;
    const mi = beta1 * load<f32>(m + at) + (1 - beta1) * g;
    const vi = beta2 * load<f32>(v + at) + (1 - beta2) * g * g;
    store<f32>(m + at, mi);
    store<f32>(v + at, vi);
    store<f32>(params + at, p - (stepSize * mi) / (Mathf.sqrt(vi) / correction2Sqrt + eps));
  }
}

// ==== Reduction ===================================================================================================

/** a += b over `length` floats: one step of the fixed reduction tree over micro-batch gradients. */
export function addInto(a: usize, b: usize, length: i32): void {
  const length4 = length & ~3;
  for (let i = 0; i < length4; i += 4) {
    const at = (<usize>i) << 2;
    v128.store(a + at, f32x4.add(v128.load(a + at), v128.load(b + at)));
  }
  for (let i = length4; i < length; i++) {
    const at = (<usize>i) << 2;
    store<f32>(a + at, load<f32>(a + at) + load<f32>(b + at));
  }
}
