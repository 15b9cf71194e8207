import type { IndicatorDefinition } from './types.js';

/** Every indicator family, keyed by registry name. Lookups are case-insensitive and accept aliases. */
const DEFINITIONS: readonly IndicatorDefinition[] = [];

export function listIndicators(): readonly IndicatorDefinition[] {
  return DEFINITIONS;
}

export function findIndicator(type: string): IndicatorDefinition | undefined {
  const wanted = type.toLowerCase();
  return DEFINITIONS.find((d) => d.type === wanted || (d.aliases ?? []).includes(wanted));
}
