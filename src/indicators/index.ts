export type { IndicatorDefinition } from './types.js';
export { defineIndicator } from './types.js';
export { findIndicator, indicatorParamNames, listIndicators, parseIndicatorParams, requireIndicator } from './registry.js';
export {
  computeIndicatorColumns,
  parseIndicatorSpec,
  resolveIndicatorSpec,
  type IndicatorColumn,
  type IndicatorSpec,
  type ResolvedIndicator,
} from './columns.js';
export {
  KTRDR_ZIGZAG_RULES,
  PIVOT_HIGH,
  PIVOT_LOW,
  TTR_ZIGZAG_RULES,
  findPivots,
  rulesForPrice,
  zigzagLine,
  zigzagPivots,
  type Pivots,
  type ZigZagOptions,
  type ZigZagPrice,
  type ZigZagRules,
} from './zigzag.js';
export { SOURCES, type Source } from './params.js';
