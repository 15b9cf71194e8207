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
      'forward_return labels are a regression target, and decisions.output_format is classification; use context labels (classes from the same forward return) or triple_barrier for a classifier, or set decisions.output_format: regression',
    );
  }
  if (decisions.output_format === 'regression') checkRegression(training, decisions, problems);
  else if (decisions.cost_model !== undefined) {
    problems.add(['decisions', 'cost_model'], 'cost_model sets the signal threshold of a regression model; a classifier does not read it');
  }
  if (decisions.output_format !== 'regression' && (training.loss === 'mse' || training.loss === 'huber')) {
    problems.add(
      ['training', 'loss'],
      `${training.loss} is a regression loss; a classifier takes cross_entropy or focal (or set decisions.output_format: regression)`,
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

/** A regression model predicts a real-valued target, turned into trades by the cost model: all three must agree. */
function checkRegression(training: Parsed<'training'>, decisions: Parsed<'decisions'>, problems: ProblemList): void {
  if (training.labels.source !== 'forward_return') {
    problems.add(
      ['training', 'labels', 'source'],
      `${training.labels.source} labels are classes, and decisions.output_format is regression; regression needs a real-valued target (forward_return)`,
    );
  }
  if (training.loss === 'cross_entropy' || training.loss === 'focal') {
    problems.add(['training', 'loss'], `${training.loss} is a classification loss; regression takes huber (default) or mse`);
  }
  if (training.class_weights !== 'none')
    problems.add(['training', 'class_weights'], 'class weights apply to classifiers only; a regression target has no classes');
  if (decisions.cost_model === undefined) {
    problems.add(
      ['decisions', 'cost_model'],
      'regression needs cost_model {round_trip_cost, min_edge_multiplier}: a predicted return trades only when it clears round_trip_cost × min_edge_multiplier',
    );
  }
}
