import { CLASS_NAMES, LABEL_BUY, LABEL_HOLD, LABEL_SELL } from '../labels/label-classes.js';

/**
 * How a regression model's predicted forward return becomes a trading signal (the original's decision rule): a trade
 * must earn its costs, so BUY when the prediction exceeds round_trip_cost × min_edge_multiplier, SELL below the
 * negative of that, HOLD in between. The signal uses the trading classes, so backtests treat it like a classifier's.
 */
export interface CostModel {
  readonly roundTripCost: number;
  readonly minEdgeMultiplier: number;
}

export function edgeThreshold(costModel: CostModel): number {
  return costModel.roundTripCost * costModel.minEdgeMultiplier;
}

/** The trading class index (0 BUY, 1 HOLD, 2 SELL) of one predicted return. */
export function regressionSignal(predictedReturn: number, threshold: number): number {
  if (predictedReturn > threshold) return LABEL_BUY;
  if (predictedReturn < -threshold) return LABEL_SELL;
  return LABEL_HOLD;
}

/**
 * Signals as one-hot rows over the trading classes, the shape backtests take from a classifier: the signal has
 * probability 1, so a confidence threshold never filters a regression model's trades (the edge threshold did).
 */
export function regressionSignalRows(predictions: ArrayLike<number>, threshold: number): Float32Array {
  const width = CLASS_NAMES.length;
  const rows = new Float32Array(predictions.length * width);
  for (let r = 0; r < predictions.length; r++) rows[r * width + regressionSignal(predictions[r], threshold)] = 1;
  return rows;
}
