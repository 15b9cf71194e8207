import type { Strategy } from '../config/strategy.js';
import { fuzzify } from '../fuzzy/membership.js';
import { indicatorColumnKey, timeframeNeeds, type IndicatorColumns } from './strategy-indicators.js';

/**
 * The columns the matrix step reads on one timeframe, each as long as its timeframe's series: membership columns
 * keyed `{fuzzy_set}_{membership}`, and the indicator outputs that raw inputs use, keyed `{indicator_id}.{output}`
 * (ids contain no dots, so the two kinds of key cannot collide).
 *
 * Membership columns are Float32Array: the feature matrix holds every input as float32, and a degree rounded to
 * float32 here is the same float32 the matrix would have rounded it to (one rounding either way, so the matrix is the
 * same bit for bit), in half the memory. Raw indicator columns stay Float64Array: the matrix's completeness test
 * must see a value too large for float32 as the finite number it is.
 */
export type MembershipColumns = Map<string, Float32Array | Float64Array>;

/** One symbol's membership columns, keyed by timeframe. */
export type MembershipsByTimeframe = Map<string, MembershipColumns>;

/** Fuzzifies the given sets on one timeframe's indicator columns. NaN (warm-up) stays NaN. */
export function computeMemberships(strategy: Strategy, indicators: IndicatorColumns, fuzzySetIds: ReadonlySet<string>): MembershipColumns {
  const columns: MembershipColumns = new Map();
  for (const set of strategy.fuzzySets) {
    if (!fuzzySetIds.has(set.id)) continue;
    const values = indicators.get(indicatorColumnKey(set.indicatorId, set.output));
    if (!values) throw new Error(`indicator column ${set.indicatorId}.${set.output} was not computed`);
    for (const { name, membership } of set.memberships) {
      columns.set(`${set.id}_${name}`, fuzzify(membership, values, new Float32Array(values.length)));
    }
  }
  return columns;
}

/** The fuzzy step of the one feature path (training step 4): memberships (and raw input columns) per timeframe. */
export function computeMembershipsByTimeframe(strategy: Strategy, indicators: ReadonlyMap<string, IndicatorColumns>): MembershipsByTimeframe {
  const byTimeframe: MembershipsByTimeframe = new Map();
  for (const [timeframe, needs] of timeframeNeeds(strategy)) {
    const columns = indicators.get(timeframe);
    if (!columns) throw new Error(`indicators on ${timeframe} were not computed`);
    const computed = computeMemberships(strategy, columns, needs.fuzzySets);
    for (const key of needs.rawColumns) {
      const values = columns.get(key);
      if (!values) throw new Error(`indicator column ${key} was not computed on ${timeframe}`);
      computed.set(key, values);
    }
    byTimeframe.set(timeframe, computed);
  }
  return byTimeframe;
}
