import type { Strategy } from '../config/strategy.js';
import { rawFeatureId } from '../config/strategy.js';

/**
 * Scaling of raw indicator inputs. Conventions (the original's `normalize_raw_features`, which it declared but never
 * called):
 * - `minmax`: (x − min)/(max − min); `zscore`: (x − mean)/std with the sample std (n − 1); 0 where the range or the
 *   std is 0 (a constant input carries no information, and 0 keeps it harmless).
 * - Statistics are fitted on the training rows only (validation and test must not leak into them), computed in
 *   float64 from the float32 matrix values, stored in the model, and applied identically to every later matrix
 *   (validation, test, prediction, backtests). Values outside the training range are not clipped.
 * - Raw inputs with `normalization: none` and fuzzy memberships are left as they are.
 */
export type FeatureScaling =
  | { readonly feature: string; readonly method: 'minmax'; readonly min: number; readonly max: number }
  | { readonly feature: string; readonly method: 'zscore'; readonly mean: number; readonly std: number };

/** The raw features a strategy scales, by feature id, with their method. */
export function scaledFeatures(strategy: Pick<Strategy, 'nnInputs'>): Map<string, 'minmax' | 'zscore'> {
  const methods = new Map<string, 'minmax' | 'zscore'>();
  for (const input of strategy.nnInputs) {
    if ('fuzzySet' in input || input.normalization === 'none') continue;
    for (const timeframe of input.timeframes) methods.set(rawFeatureId(timeframe, input.rawIndicator), input.normalization);
  }
  return methods;
}

/** Fits the scaling of each scaled feature on `rows` rows of a row-major matrix with columns `names`. */
export function fitScaling(
  values: Float32Array,
  rows: number,
  names: readonly string[],
  methods: ReadonlyMap<string, 'minmax' | 'zscore'>,
): FeatureScaling[] {
  const width = names.length;
  const scalings: FeatureScaling[] = [];
  names.forEach((feature, c) => {
    const method = methods.get(feature);
    if (!method) return;
    if (method === 'minmax') {
      let min = Infinity;
      let max = -Infinity;
      for (let r = 0; r < rows; r++) {
        const x = values[r * width + c];
        if (x < min) min = x;
        if (x > max) max = x;
      }
      scalings.push({ feature, method, min, max });
      return;
    }
    let mean = 0;
    for (let r = 0; r < rows; r++) mean += values[r * width + c];
    mean /= rows;
    let squares = 0;
    for (let r = 0; r < rows; r++) squares += (values[r * width + c] - mean) ** 2;
    scalings.push({ feature, method, mean, std: rows > 1 ? Math.sqrt(squares / (rows - 1)) : 0 });
  });
  return scalings;
}

/** Scales the named columns of a row-major matrix in place. A scaling whose feature is not a column is an error. */
export function applyScaling(values: Float32Array, rows: number, names: readonly string[], scalings: readonly FeatureScaling[]): void {
  const width = names.length;
  for (const scaling of scalings) {
    const c = names.indexOf(scaling.feature);
    if (c < 0) throw new Error(`scaled feature ${scaling.feature} is not among the features`);
    const [offset, scale] = scaling.method === 'minmax' ? [scaling.min, scaling.max - scaling.min] : [scaling.mean, scaling.std];
    for (let r = 0; r < rows; r++) {
      const i = r * width + c;
      values[i] = scale === 0 ? 0 : (values[i] - offset) / scale;
    }
  }
}
