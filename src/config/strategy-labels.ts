import type { LabelSpec } from '../labels/labeler.js';
import type { ProblemList, Parsed } from './strategy-sections.js';

type LabelsFile = Parsed<'training'>['labels'];

/** `training.labels` as the labelers take it: camelCase, CUSUM settings grouped (present only when filtering). */
export function toLabelSpec(labels: LabelsFile): LabelSpec {
  switch (labels.source) {
    case 'zigzag':
      return { source: 'zigzag', zigzagThreshold: labels.zigzag_threshold, price: labels.price };
    case 'forward_return':
      return { source: 'forward_return', horizon: labels.horizon };
    case 'triple_barrier':
      return {
        source: 'triple_barrier',
        ptMultiplier: labels.pt_multiplier,
        slMultiplier: labels.sl_multiplier,
        maxHoldingPeriod: labels.max_holding_period,
        volSpan: labels.vol_span,
        volMethod: labels.vol_method,
        ...(labels.cusum_threshold !== undefined && { cusum: { threshold: labels.cusum_threshold, multiplier: labels.cusum_multiplier } }),
        computeWeights: labels.compute_weights,
      };
    case 'context':
      return {
        source: 'context',
        horizon: labels.horizon,
        bullishThreshold: labels.bullish_threshold,
        bearishThreshold: labels.bearish_threshold,
      };
    case 'regime':
      return {
        source: 'regime',
        macroAtrMult: labels.macro_atr_mult,
        microAtrMult: labels.micro_atr_mult,
        atrPeriod: labels.atr_period,
        volLookback: labels.vol_lookback,
        volCrisisThreshold: labels.vol_crisis_threshold,
        progressionTolerance: labels.progression_tolerance,
      };
  }
}

/**
 * Checks that need more than one key: the labels against the model's output and the class weights' length. Class
 * weights are listed per class, so a list must have one weight per class of the chosen labeler.
 */
export function checkLabels(training: Parsed<'training'>, decisions: Parsed<'decisions'>, classCount: number | null, problems: ProblemList): void {
  const { labels } = training;
  if (labels.source === 'forward_return' && decisions.output_format === 'classification') {
    problems.add(
      ['training', 'labels', 'source'],
      'forward_return labels are a regression target, and decisions.output_format is classification; use context labels (classes from the same forward return) or triple_barrier for a classifier',
    );
  }
  if (labels.source === 'context' && !(labels.bearish_threshold < labels.bullish_threshold)) {
    problems.add(['training', 'labels', 'bearish_threshold'], `must be below bullish_threshold (${labels.bullish_threshold})`);
  }
  const weights = training.class_weights;
  if (Array.isArray(weights) && classCount !== null && weights.length !== classCount) {
    problems.add(
      ['training', 'class_weights'],
      `${labels.source} labels have ${classCount} classes, so class_weights needs ${classCount} weights (got ${weights.length})`,
    );
  }
}
