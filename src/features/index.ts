import type { Strategy } from '../config/strategy.js';
import type { OhlcvSeries } from '../data/ohlcv.js';
import { buildFeatureMatrix, type FeatureMatrix } from './feature-matrix.js';
import { computeMemberships, type MembershipColumns } from './memberships.js';
import { computeStrategyIndicators, timeframeNeeds } from './strategy-indicators.js';

export { buildFeatureMatrix, requireRows, rowsFrom, type FeatureMatrix } from './feature-matrix.js';
export { computeMemberships, type MembershipColumns } from './memberships.js';
export { computeStrategyIndicators, indicatorColumnKey, timeframeNeeds, type IndicatorColumns } from './strategy-indicators.js';

/** Indicators → memberships → matrix for one symbol in one call (prediction and `ktrdr features`). */
export function computeFeatures(strategy: Strategy, series: ReadonlyMap<string, OhlcvSeries>): FeatureMatrix {
  const memberships = new Map<string, MembershipColumns>();
  for (const [timeframe, needs] of timeframeNeeds(strategy)) {
    const frame = series.get(timeframe);
    if (!frame) throw new Error(`timeframe ${timeframe} was not loaded`);
    const indicators = computeStrategyIndicators(strategy, frame, needs.indicators);
    memberships.set(timeframe, computeMemberships(strategy, indicators, needs.fuzzySets));
  }
  return buildFeatureMatrix(strategy, series, memberships);
}

/** Timeframes the strategy's features read, base first. */
export function requiredTimeframes(strategy: Strategy): string[] {
  const base = strategy.trainingData.baseTimeframe;
  const others = [...timeframeNeeds(strategy).keys()].filter((tf) => tf !== base);
  return [base, ...others];
}
