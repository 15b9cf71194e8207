import { fuzzify, type Membership } from './membership.js';

/** A fuzzy set over one indicator output: named memberships in the order the strategy file lists them. */
export interface FuzzySetDefinition {
  readonly id: string;
  /** `indicator_id` or `indicator_id.output`, as written in the strategy. */
  readonly indicator: string;
  readonly memberships: readonly { readonly name: string; readonly membership: Membership }[];
}

export interface FuzzySetOutput {
  readonly name: string;
  readonly values: Float64Array;
}

/** Evaluates every membership of a set on one indicator series; outputs keep the definition's order. */
export function evaluateFuzzySet(set: FuzzySetDefinition, indicatorValues: Float64Array): FuzzySetOutput[] {
  return set.memberships.map(({ name, membership }) => ({ name, values: fuzzify(membership, indicatorValues) }));
}
