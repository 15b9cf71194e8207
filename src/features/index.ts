import type { Strategy } from '../config/strategy.js';
import type { OhlcvSeries } from '../data/ohlcv.js';
import { buildFeatureMatrix, type FeatureMatrix, type FeatureRange } from './feature-matrix.js';
import { computeMembershipsByTimeframe } from './memberships.js';
import { computeIndicatorsByTimeframe, timeframeNeeds } from './strategy-indicators.js';

// Only the three steps are exported, not their per-timeframe parts, so that no caller assembles features its own way.
export { buildFeatureMatrix, requireRows, selectRows, type FeatureMatrix, type FeatureRange } from './feature-matrix.js';
export { applyScaling, fitScaling, scaledFeatures, type FeatureScaling } from './normalization.js';
export { computeMembershipsByTimeframe, type MembershipColumns, type MembershipsByTimeframe } from './memberships.js';
export {
  computeIndicatorsByTimeframe,
  indicatorColumnKey,
  timeframeNeeds,
  type IndicatorColumns,
  type IndicatorsByTimeframe,
} from './strategy-indicators.js';

/**
 * The one feature path for one symbol: indicators → memberships → matrix. Prediction and `ktrdr features` call it
 * whole; the training pipeline calls the same three step functions as its steps 3, 4 and 5 (it reports progress and
 * logs between them), so a bar gets the same features in training, prediction and backtests.
 */
export function computeFeatures(strategy: Strategy, series: ReadonlyMap<string, OhlcvSeries>, range: FeatureRange = {}): FeatureMatrix {
  const indicators = computeIndicatorsByTimeframe(strategy, series);
  return buildFeatureMatrix(strategy, series, computeMembershipsByTimeframe(strategy, indicators), range);
}

/** Timeframes the strategy's features read, base first. */
export function requiredTimeframes(strategy: Strategy): string[] {
  const base = strategy.trainingData.baseTimeframe;
  const others = [...timeframeNeeds(strategy).keys()].filter((tf) => tf !== base);
  return [base, ...others];
}
