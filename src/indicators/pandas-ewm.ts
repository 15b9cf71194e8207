/**
 * Exponentially weighted statistics in pandas' conventions, which the original system's indicators and labelers use
 * (`Series.ewm`). `span` gives alpha = 2/(span + 1).
 * - `adjust=True` (ewmMean, ewmStd): the weight of the value k bars back is (1 − alpha)^k, normalised by the sum of
 *   the weights seen so far; defined from the first value, no warm-up.
 * - `adjust=False` (ewmRecursive): y[0] = x[0], y[i] = alpha·x[i] + (1 − alpha)·y[i−1], seeded with the first value
 *   (no SMA seed), so early values are biased towards the first bar.
 * NaN inputs before the first value are skipped; a NaN later only ages the weights (pandas `ignore_na=False`).
 */

/** `Series.ewm(span, adjust=True).mean()`. */
export function ewmMean(values: Float64Array, span: number): Float64Array {
  const keep = 1 - 2 / (span + 1);
  const out = new Float64Array(values.length).fill(NaN);
  let numerator = 0;
  let denominator = 0;
  let seen = false;
  for (let i = 0; i < values.length; i++) {
    const x = values[i];
    if (seen) {
      numerator *= keep;
      denominator *= keep;
    }
    if (!Number.isNaN(x)) {
      numerator += x;
      denominator += 1;
      seen = true;
    }
    if (seen) out[i] = numerator / denominator;
  }
  return out;
}

/** `Series.ewm(alpha=alpha, adjust=False).mean()`: recursive, seeded with the first non-NaN value. */
export function ewmRecursive(values: Float64Array, alpha: number): Float64Array {
  const out = new Float64Array(values.length).fill(NaN);
  let y = NaN;
  for (let i = 0; i < values.length; i++) {
    const x = values[i];
    if (Number.isNaN(y)) y = x;
    else if (!Number.isNaN(x)) y = alpha * x + (1 - alpha) * y;
    out[i] = y;
  }
  return out;
}

/**
 * `Series.ewm(span, adjust=True).std()` with pandas' bias correction (`bias=False`): the weighted variance times
 * (Σw)² / ((Σw)² − Σw²), NaN while only one value has been seen. Transcribed from pandas' `ewmcov` recursion, so
 * rounding follows it too.
 */
export function ewmStd(values: Float64Array, span: number): Float64Array {
  const keep = 1 - 2 / (span + 1);
  const out = new Float64Array(values.length).fill(NaN);
  let mean = NaN;
  let variance = 0;
  let sumWeights = 1;
  let sumSquaredWeights = 1;
  let oldWeight = 1;
  for (let i = 0; i < values.length; i++) {
    const x = values[i];
    const observed = !Number.isNaN(x);
    if (!Number.isNaN(mean)) {
      sumWeights *= keep;
      sumSquaredWeights *= keep * keep;
      oldWeight *= keep;
      if (observed) {
        const oldMean = mean;
        if (mean !== x) mean = (oldWeight * oldMean + x) / (oldWeight + 1);
        variance = (oldWeight * (variance + (oldMean - mean) * (oldMean - mean)) + (x - mean) * (x - mean)) / (oldWeight + 1);
        sumWeights += 1;
        sumSquaredWeights += 1;
        oldWeight += 1;
      }
    } else if (observed) {
      mean = x;
    }
    if (Number.isNaN(mean)) continue;
    const numerator = sumWeights * sumWeights;
    const denominator = numerator - sumSquaredWeights;
    if (denominator > 0) out[i] = Math.sqrt(Math.max(0, (numerator / denominator) * variance));
  }
  return out;
}
