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
 * `indicator_id.output`), the indicators both read, and the indicator columns both read.
 */
export interface TimeframeNeeds {
  readonly fuzzySets: ReadonlySet<string>;
  readonly rawColumns: ReadonlySet<string>;
  readonly indicators: ReadonlySet<string>;
  readonly columns: ReadonlySet<string>;
}

export function timeframeNeeds(strategy: Strategy): Map<string, TimeframeNeeds> {
  const setsById = new Map(strategy.fuzzySets.map((set) => [set.id, set]));
  const needs = new Map<string, { fuzzySets: Set<string>; rawColumns: Set<string>; indicators: Set<string>; columns: Set<string> }>();
  const entryFor = (timeframe: string) => {
    const entry = needs.get(timeframe) ?? {
      fuzzySets: new Set<string>(),
      rawColumns: new Set<string>(),
      indicators: new Set<string>(),
      columns: new Set<string>(),
    };
    needs.set(timeframe, entry);
    return entry;
  };
  for (const input of strategy.nnInputs) {
    if (!('fuzzySet' in input)) {
      for (const timeframe of input.timeframes) {
        const entry = entryFor(timeframe);
        const key = indicatorColumnKey(input.indicatorId, input.output);
        entry.rawColumns.add(key);
        entry.indicators.add(input.indicatorId);
        entry.columns.add(key);
      }
      continue;
    }
    const set = setsById.get(input.fuzzySet);
    if (!set) continue; // the strategy validator already rejects this
    for (const timeframe of input.timeframes) {
      const entry = entryFor(timeframe);
      entry.fuzzySets.add(set.id);
      entry.indicators.add(set.indicatorId);
      entry.columns.add(indicatorColumnKey(set.indicatorId, set.output));
    }
  }
  return needs;
}

export function indicatorColumnKey(indicatorId: string, output: string): string {
  return `${indicatorId}.${output}`;
}

/**
 * Computes the given indicators of the strategy on one series, with the strategy's formula conventions. Each output
 * becomes a column; with `columnKeys`, an indicator may skip the outputs not named there (an unused Bollinger band or
 * DI line is a full-length array to fill, and on a fresh process memory that is new to it costs more than the filling).
 */
export function computeStrategyIndicators(
  strategy: Strategy,
  series: OhlcvSeries,
  indicatorIds: ReadonlySet<string>,
  columnKeys?: ReadonlySet<string>,
): IndicatorColumns {
  const columns: IndicatorColumns = new Map();
  for (const indicator of strategy.indicators) {
    if (!indicatorIds.has(indicator.id)) continue;
    const definition = requireIndicator(indicator.type);
    const compute = conventionVariant(indicator.type, strategy.conventions) ?? definition.compute;
    const selected =
      columnKeys === undefined ? undefined : new Set(definition.outputs.filter((output) => columnKeys.has(indicatorColumnKey(indicator.id, output))));
    const outputs = compute(series, indicator.params as Record<string, unknown>, selected);
    for (const output of definition.outputs) {
      const values = outputs[output] as Float64Array | undefined;
      if (values !== undefined) columns.set(indicatorColumnKey(indicator.id, output), values);
    }
  }
  return columns;
}

/**
 * The indicator step of the one feature path (training step 3, and the first stage of `computeFeatures`): on each
 * timeframe of one symbol, the indicator columns its inputs read (and possibly other outputs of the same indicators).
 * `series` is keyed by timeframe and holds all the history before any range start, since indicators that carry state
 * need it to give a bar the same value every time.
 */
export function computeIndicatorsByTimeframe(strategy: Strategy, series: ReadonlyMap<string, OhlcvSeries>): IndicatorsByTimeframe {
  const byTimeframe: IndicatorsByTimeframe = new Map();
  for (const [timeframe, needs] of timeframeNeeds(strategy)) {
    const frame = series.get(timeframe);
    if (!frame) throw new Error(`timeframe ${timeframe} was not loaded`);
    byTimeframe.set(timeframe, computeStrategyIndicators(strategy, frame, needs.indicators, needs.columns));
  }
  return byTimeframe;
}
