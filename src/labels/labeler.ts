import type { OhlcvSeries } from '../data/ohlcv.js';
import type { ZigZagPrice } from '../indicators/zigzag.js';
import { CONTEXT_CLASSES, contextLabels } from './context-labels.js';
import { forwardReturnLabels } from './forward-return-labels.js';
import { CLASS_NAMES } from './label-classes.js';
import type { LabelSet } from './label-set.js';
import { REGIME_CLASSES, regimeLabels, type RegimeLabelOptions } from './regime-labels.js';
import { tripleBarrierLabels, type TripleBarrierOptions } from './triple-barrier-labels.js';
import { zigzagSegmentLabels } from './zigzag-labels.js';

/** `training.labels` of a strategy, by source (camelCase; the YAML edge maps snake_case keys onto these). */
export type LabelSpec =
  | { readonly source: 'zigzag'; readonly zigzagThreshold: number; readonly price: ZigZagPrice }
  | { readonly source: 'forward_return'; readonly horizon: number }
  | ({ readonly source: 'triple_barrier' } & TripleBarrierOptions)
  | { readonly source: 'context'; readonly horizon: number; readonly bullishThreshold: number; readonly bearishThreshold: number }
  | ({ readonly source: 'regime' } & RegimeLabelOptions);

export type LabelSource = LabelSpec['source'];

/**
 * The class list a label source produces, known before any data is read (the network's output width); null for a
 * regression target.
 */
export function labelClasses(source: LabelSource): readonly string[] | null {
  switch (source) {
    case 'zigzag':
    case 'triple_barrier':
      return CLASS_NAMES;
    case 'context':
      return CONTEXT_CLASSES;
    case 'regime':
      return REGIME_CLASSES;
    case 'forward_return':
      return null;
  }
}

/** Labels one symbol's base series with the strategy's labeler. */
export function computeLabels(series: OhlcvSeries, spec: LabelSpec): LabelSet {
  switch (spec.source) {
    case 'zigzag': {
      const labels = zigzagSegmentLabels(series, { threshold: spec.zigzagThreshold, price: spec.price });
      return { classes: CLASS_NAMES, values: Float64Array.from(labels), unlabelled: { beyondData: 0, filtered: 0 } };
    }
    case 'forward_return':
      return forwardReturnLabels(series, spec);
    case 'triple_barrier':
      return tripleBarrierLabels(series, spec);
    case 'context':
      return contextLabels(series, spec);
    case 'regime':
      return regimeLabels(series, spec);
  }
}

/** One line for summaries and logs, e.g. `zigzag 0.02 (close)` or `triple_barrier pt 2, sl 1.5, max hold 50, ...`. */
export function describeLabelSpec(spec: LabelSpec): string {
  switch (spec.source) {
    case 'zigzag':
      return `zigzag ${spec.zigzagThreshold} (${spec.price})`;
    case 'forward_return':
      return `forward_return horizon ${spec.horizon}`;
    case 'triple_barrier':
      return (
        `triple_barrier pt ${spec.ptMultiplier}, sl ${spec.slMultiplier}, max hold ${spec.maxHoldingPeriod}, vol ${spec.volMethod} span ${spec.volSpan}` +
        (spec.cusum ? `, cusum ${spec.cusum.threshold > 0 ? spec.cusum.threshold : `auto x${spec.cusum.multiplier}`}` : '') +
        (spec.computeWeights ? ', uniqueness weights' : '')
      );
    case 'context':
      return `context horizon ${spec.horizon}, bullish > ${spec.bullishThreshold}, bearish < ${spec.bearishThreshold}`;
    case 'regime':
      return `regime macro x${spec.macroAtrMult}, micro x${spec.microAtrMult} ATR(${spec.atrPeriod}), vol lookback ${spec.volLookback}, crisis > ${spec.volCrisisThreshold}`;
  }
}
