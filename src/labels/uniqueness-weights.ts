/**
 * Average-uniqueness sample weights. Labels whose holding spans overlap share information, so each counts for less:
 * concurrency c[j] = the number of labelled bars i whose span [i, i + hold_i) covers bar j; w_i = the mean of 1/c[j]
 * over its own span; then the weights are scaled to mean 1 over the labelled bars. `hold[i]` ≤ 0 marks bar i as
 * unlabelled (weight NaN). A difference array keeps it O(n + Σ hold).
 */
export function uniquenessWeights(hold: Int32Array): Float64Array {
  const n = hold.length;
  const delta = new Int32Array(n + 1);
  for (let i = 0; i < n; i++) {
    if (hold[i] <= 0) continue;
    delta[i]++;
    delta[Math.min(n, i + hold[i])]--;
  }
  const concurrency = new Int32Array(n);
  let running = 0;
  for (let j = 0; j < n; j++) {
    running += delta[j];
    concurrency[j] = running;
  }
  const weights = new Float64Array(n).fill(NaN);
  let sum = 0;
  let count = 0;
  for (let i = 0; i < n; i++) {
    if (hold[i] <= 0) continue;
    const end = Math.min(n, i + hold[i]);
    let total = 0;
    for (let j = i; j < end; j++) total += 1 / concurrency[j];
    weights[i] = total / (end - i);
    sum += weights[i];
    count++;
  }
  const mean = sum / count;
  for (let i = 0; i < n; i++) if (!Number.isNaN(weights[i])) weights[i] /= mean;
  return weights;
}
