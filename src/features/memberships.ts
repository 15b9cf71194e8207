import type { Strategy } from '../config/strategy.js';
import { fuzzify } from '../fuzzy/membership.js';
import { indicatorColumnKey, type IndicatorColumns } from './strategy-indicators.js';

/** Membership columns keyed `{fuzzy_set}_{membership}`, each as long as its timeframe's series. */
export type MembershipColumns = Map<string, Float64Array>;

/** Fuzzifies the given sets on one timeframe's indicator columns. NaN (warm-up) stays NaN. */
export function computeMemberships(strategy: Strategy, indicators: IndicatorColumns, fuzzySetIds: ReadonlySet<string>): MembershipColumns {
  const columns: MembershipColumns = new Map();
  for (const set of strategy.fuzzySets) {
    if (!fuzzySetIds.has(set.id)) continue;
    const values = indicators.get(indicatorColumnKey(set.indicatorId, set.output));
    if (!values) throw new Error(`indicator column ${set.indicatorId}.${set.output} was not computed`);
    for (const { name, membership } of set.memberships) columns.set(`${set.id}_${name}`, fuzzify(membership, values));
  }
  return columns;
}
