/**
 * Membership functions, evaluated exactly as the original's per-element rules (reference §4.1): NaN stays NaN,
 * values outside the support give 0 (no open shoulders), and degenerate slopes divide by machine epsilon rather
 * than by zero. Triangular checks the peak before the edges; trapezoidal checks the edges first, so [0, 0, 20, 30]
 * gives 0 at x = 0. These orderings are deliberate: they are what trained models of the original system saw.
 */

export type Membership =
  | { readonly type: 'triangular'; readonly a: number; readonly b: number; readonly c: number }
  | { readonly type: 'trapezoidal'; readonly a: number; readonly b: number; readonly c: number; readonly d: number }
  | { readonly type: 'gaussian'; readonly mean: number; readonly sigma: number };

export type MembershipType = Membership['type'];

const EPSILON = Number.EPSILON;

export function triangular(x: number, a: number, b: number, c: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x === b) return 1;
  if (x <= a || x >= c) return 0;
  if (x < b) return (x - a) / Math.max(b - a, EPSILON);
  return (c - x) / Math.max(c - b, EPSILON);
}

export function trapezoidal(x: number, a: number, b: number, c: number, d: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x <= a || x >= d) return 0;
  if (x < b) return (x - a) / Math.max(b - a, EPSILON);
  if (x <= c) return 1;
  return (d - x) / Math.max(d - c, EPSILON);
}

export function gaussian(x: number, mean: number, sigma: number): number {
  if (Number.isNaN(x)) return NaN;
  if (!Number.isFinite(x)) return 0;
  const z = (x - mean) / sigma;
  return Math.exp(-0.5 * z * z);
}

export function evaluateMembership(membership: Membership, x: number): number {
  switch (membership.type) {
    case 'triangular':
      return triangular(x, membership.a, membership.b, membership.c);
    case 'trapezoidal':
      return trapezoidal(x, membership.a, membership.b, membership.c, membership.d);
    case 'gaussian':
      return gaussian(x, membership.mean, membership.sigma);
  }
}

/**
 * Membership degrees for a whole series, written into `out` (a Float64Array allocated when absent; the feature path
 * passes a Float32Array, the precision of its matrix). The loops repeat the per-element functions above inline, with
 * the slope widths hoisted (the same operations in the same order, so the same bits): a fresh process runs its first
 * calls in the interpreter and baseline code, where a function call per element was most of the cold feature stage's
 * time.
 */
export function fuzzify<Out extends Float64Array | Float32Array = Float64Array>(
  membership: Membership,
  values: Float64Array,
  out: Out = new Float64Array(values.length) as Out,
): Out {
  const n = values.length;
  switch (membership.type) {
    case 'triangular': {
      const { a, b, c } = membership;
      const left = Math.max(b - a, EPSILON);
      const right = Math.max(c - b, EPSILON);
      for (let i = 0; i < n; i++) {
        const x = values[i];
        out[i] = x !== x ? NaN : x === b ? 1 : x <= a || x >= c ? 0 : x < b ? (x - a) / left : (c - x) / right;
      }
      break;
    }
    case 'trapezoidal': {
      const { a, b, c, d } = membership;
      const left = Math.max(b - a, EPSILON);
      const right = Math.max(d - c, EPSILON);
      for (let i = 0; i < n; i++) {
        const x = values[i];
        out[i] = x !== x ? NaN : x <= a || x >= d ? 0 : x < b ? (x - a) / left : x <= c ? 1 : (d - x) / right;
      }
      break;
    }
    case 'gaussian': {
      const { mean, sigma } = membership;
      for (let i = 0; i < n; i++) out[i] = gaussian(values[i], mean, sigma);
      break;
    }
  }
  return out;
}

/**
 * Why a membership's parameters are unusable, or undefined when they are fine. Used by the strategy schema so the
 * message can name the YAML path.
 */
export function membershipProblem(membership: Membership): string | undefined {
  const values = Object.entries(membership).filter(([key]) => key !== 'type');
  for (const [key, value] of values) {
    if (typeof value !== 'number' || !Number.isFinite(value)) return `${key} must be a finite number`;
  }
  switch (membership.type) {
    case 'triangular':
      return membership.a <= membership.b && membership.b <= membership.c
        ? undefined
        : `triangular parameters must satisfy a <= b <= c, got [${membership.a}, ${membership.b}, ${membership.c}]`;
    case 'trapezoidal':
      return membership.a <= membership.b && membership.b <= membership.c && membership.c <= membership.d
        ? undefined
        : `trapezoidal parameters must satisfy a <= b <= c <= d, got [${membership.a}, ${membership.b}, ${membership.c}, ${membership.d}]`;
    case 'gaussian':
      return membership.sigma > 0 ? undefined : `gaussian sigma must be > 0, got ${membership.sigma}`;
  }
}
