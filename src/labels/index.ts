export {
  LABEL_BUY,
  LABEL_HOLD,
  LABEL_NAMES,
  LABEL_SELL,
  formatLabelDistribution,
  labelDistribution,
  type ClassShares,
  type LabelDistribution,
} from './label-classes.js';
export { ZIGZAG_LABELS_MIN_BARS, segmentLabels, zigzagSegmentLabels, type ZigZagLabelOptions } from './zigzag-labels.js';
