import type { Strategy } from '../config/strategy.js';
import type { OhlcvSeries } from '../data/ohlcv.js';
import { conventionVariant } from '../indicators/ktrdr-conventions.js';
import { requireIndicator } from '../indicators/registry.js';

/** Indicator outputs keyed `indicator_id.output`, each as long as the series it was computed on. */
export type IndicatorColumns = Map<string, Float64Array>;

/** One symbol's indicator columns, keyed by timeframe. */
export type IndicatorsByTimeframe = Map<string, IndicatorColumns>;

/**
 * What each timeframe needs (only what `nn_inputs` uses): the fuzzy sets, the raw indicator columns (keyed
 * `indicator_id.output`), and the indicators both read.
 */
export interface TimeframeNeeds {
  readonly fuzzySets: ReadonlySet<string>;
  readonly rawColumns: ReadonlySet<string>;
  readonly indicators: ReadonlySet<string>;
}

export function timeframeNeeds(strategy: Strategy): Map<string, TimeframeNeeds> {
  const setsById = new Map(strategy.fuzzySets.map((set) => [set.id, set]));
  const needs = new Map<string, { fuzzySets: Set<string>; rawColumns: Set<string>; indicators: Set<string> }>();
  const entryFor = (timeframe: string) => {
    const entry = needs.get(timeframe) ?? { fuzzySets: new Set<string>(), rawColumns: new Set<string>(), indicators: new Set<string>() };
    needs.set(timeframe, entry);
    return entry;
  };
  for (const input of strategy.nnInputs) {
    if (!('fuzzySet' in input)) {
      for (const timeframe of input.timeframes) {
        const entry = entryFor(timeframe);
        entry.rawColumns.add(indicatorColumnKey(input.indicatorId, input.output));
        entry.indicators.add(input.indicatorId);
      }
      continue;
    }
    const set = setsById.get(input.fuzzySet);
    if (!set) continue; // the strategy validator already rejects this
    for (const timeframe of input.timeframes) {
      const entry = entryFor(timeframe);
      entry.fuzzySets.add(set.id);
      entry.indicators.add(set.indicatorId);
    }
  }
  return needs;
}

export function indicatorColumnKey(indicatorId: string, output: string): string {
  return `${indicatorId}.${output}`;
}

/**
 * Computes the given indicators of the strategy on one series, with the strategy's formula conventions; every output
 * of each becomes a column.
 */
export function computeStrategyIndicators(strategy: Strategy, series: OhlcvSeries, indicatorIds: ReadonlySet<string>): IndicatorColumns {
  const columns: IndicatorColumns = new Map();
  for (const indicator of strategy.indicators) {
    if (!indicatorIds.has(indicator.id)) continue;
    const definition = requireIndicator(indicator.type);
    const compute = conventionVariant(indicator.type, strategy.conventions) ?? definition.compute;
    const outputs = compute(series, indicator.params as Record<string, unknown>);
    for (const output of definition.outputs) columns.set(indicatorColumnKey(indicator.id, output), outputs[output]);
  }
  return columns;
}

/**
 * The indicator step of the one feature path (training step 3, and the first stage of `computeFeatures`): on each
 * timeframe of one symbol, the indicators its fuzzy sets read. `series` is keyed by timeframe and holds all the
 * history before any range start, since indicators that carry state need it to give a bar the same value every time.
 */
export function computeIndicatorsByTimeframe(strategy: Strategy, series: ReadonlyMap<string, OhlcvSeries>): IndicatorsByTimeframe {
  const byTimeframe: IndicatorsByTimeframe = new Map();
  for (const [timeframe, needs] of timeframeNeeds(strategy)) {
    const frame = series.get(timeframe);
    if (!frame) throw new Error(`timeframe ${timeframe} was not loaded`);
    byTimeframe.set(timeframe, computeStrategyIndicators(strategy, frame, needs.indicators));
  }
  return byTimeframe;
}
