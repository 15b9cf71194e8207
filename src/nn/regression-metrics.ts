import { KtrdrError } from '../errors.js';

/**
 * What a regression model's test split is reported with, next to the zero-return predictor (always predicting 0,
 * i.e. "no move"), the baseline a forecast of returns has to beat: a model whose MSE is not below Σy²/n has learned
 * nothing usable, however its loss curve looked.
 */
export interface RegressionReport {
  readonly output: 'regression';
  readonly samples: number;
  /** The mse, so that reports of either kind carry a comparable `loss`. */
  readonly loss: number;
  readonly mse: number;
  readonly rmse: number;
  readonly mae: number;
  /** 1 − SS_res/SS_tot around the test mean; 0 for predicting that mean, negative for worse. */
  readonly r2: number;
  /** Rows with sign(prediction) = sign(target) (0 is its own sign, as the original scored it). */
  readonly directional_accuracy: number;
  /** Spearman rank correlation of predictions and targets (0 when either is constant). */
  readonly information_coefficient: number;
  /** `directional_accuracy` again, under the name every report has (listings, sweeps, summaries read it). */
  readonly accuracy: number;
  /** Share of the more frequent target sign: the directional accuracy of always guessing that sign. */
  readonly baseline_accuracy: number;
  /** `up` or `down`: the sign `baseline_accuracy` guesses. */
  readonly majority_class: string;
  /** The same figures for the zero-return predictor. */
  readonly baseline: { readonly predictor: 'zero_return'; readonly mse: number; readonly rmse: number; readonly mae: number; readonly r2: number };
}

/** Whether a model's test report is a regression model's (classification reports carry no `output`). */
export function isRegressionReport(report: object): report is RegressionReport {
  return 'output' in report && report.output === 'regression';
}

/** The test report in one line: a classifier's accuracy and F1, or a regressor's errors next to the zero-return predictor. */
export function testReportLine(
  report: RegressionReport | { accuracy: number; baseline_accuracy: number; loss: number; f1_score: number },
  format: (value: number) => string,
): string {
  if (!isRegressionReport(report)) {
    return `accuracy ${format(report.accuracy)} (baseline ${format(report.baseline_accuracy)}), loss ${format(report.loss)}, weighted F1 ${format(report.f1_score)}`;
  }
  const { baseline } = report;
  return (
    `MSE ${report.mse.toExponential(3)} (zero-return ${baseline.mse.toExponential(3)}), MAE ${report.mae.toExponential(3)} (${baseline.mae.toExponential(3)}), ` +
    `R² ${format(report.r2)} (${format(baseline.r2)}), directional accuracy ${format(report.directional_accuracy)} (always ${report.majority_class} ${format(report.baseline_accuracy)}), IC ${format(report.information_coefficient)}`
  );
}

export function evaluateRegression(predictions: ArrayLike<number>, targets: ArrayLike<number>): RegressionReport {
  const n = targets.length;
  if (predictions.length !== n) throw new KtrdrError('VALIDATION_FAILED', `${predictions.length} predictions for ${n} targets`);
  let mean = 0;
  for (let i = 0; i < n; i++) mean += targets[i];
  mean = n > 0 ? mean / n : 0;
  let squared = 0;
  let absolute = 0;
  let total = 0;
  let zeroSquared = 0;
  let zeroAbsolute = 0;
  let hits = 0;
  let up = 0;
  let down = 0;
  for (let i = 0; i < n; i++) {
    const y = targets[i];
    const diff = predictions[i] - y;
    squared += diff * diff;
    absolute += Math.abs(diff);
    total += (y - mean) * (y - mean);
    zeroSquared += y * y;
    zeroAbsolute += Math.abs(y);
    if (Math.sign(predictions[i]) === Math.sign(y)) hits++;
    if (y > 0) up++;
    else if (y < 0) down++;
  }
  const ratio = (a: number, b: number): number => (b > 0 ? a / b : 0);
  const r2 = (residual: number): number => (total > 0 ? 1 - residual / total : 0);
  const mse = ratio(squared, n);
  const zeroMse = ratio(zeroSquared, n);
  const directional = ratio(hits, n);
  return {
    output: 'regression',
    samples: n,
    loss: mse,
    mse,
    rmse: Math.sqrt(mse),
    mae: ratio(absolute, n),
    r2: r2(squared),
    directional_accuracy: directional,
    information_coefficient: spearman(predictions, targets),
    accuracy: directional,
    baseline_accuracy: ratio(Math.max(up, down), n),
    majority_class: up >= down ? 'up' : 'down',
    baseline: { predictor: 'zero_return', mse: zeroMse, rmse: Math.sqrt(zeroMse), mae: ratio(zeroAbsolute, n), r2: r2(zeroSquared) },
  };
}

/** Spearman's ρ: Pearson correlation of the ranks, ties sharing their mean rank. */
export function spearman(a: ArrayLike<number>, b: ArrayLike<number>): number {
  return pearson(ranks(a), ranks(b));
}

function ranks(values: ArrayLike<number>): Float64Array {
  const n = values.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((i, j) => values[i] - values[j]);
  const result = new Float64Array(n);
  for (let start = 0; start < n;) {
    let end = start + 1;
    while (end < n && values[order[end]] === values[order[start]]) end++;
    const rank = (start + end + 1) / 2; // ranks from 1; ties get the mean of start+1 … end
    for (let k = start; k < end; k++) result[order[k]] = rank;
    start = end;
  }
  return result;
}

function pearson(a: Float64Array, b: Float64Array): number {
  const n = a.length;
  if (n === 0) return 0;
  let meanA = 0;
  let meanB = 0;
  for (let i = 0; i < n; i++) {
    meanA += a[i];
    meanB += b[i];
  }
  meanA /= n;
  meanB /= n;
  let covariance = 0;
  let varianceA = 0;
  let varianceB = 0;
  for (let i = 0; i < n; i++) {
    covariance += (a[i] - meanA) * (b[i] - meanB);
    varianceA += (a[i] - meanA) ** 2;
    varianceB += (b[i] - meanB) ** 2;
  }
  return varianceA > 0 && varianceB > 0 ? covariance / Math.sqrt(varianceA * varianceB) : 0;
}
