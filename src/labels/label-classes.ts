/**
 * The trading classes. ZigZag and triple-barrier labels use them, and they are the only classes a backtest or a
 * trading signal understands: index 0 BUY, 1 HOLD, 2 SELL. Other labelers (context, regime) have class lists of
 * their own, which travel with the labels and the model (`LabelSet.classes`, `labels.classes` in model files).
 */
export const LABEL_BUY = 0;
export const LABEL_HOLD = 1;
export const LABEL_SELL = 2;

/** The trading classes by index: the one list of them (trading labels, signals, backtests). */
export const CLASS_NAMES = ['BUY', 'HOLD', 'SELL'] as const;
export type ClassName = (typeof CLASS_NAMES)[number];

/** Whether a class list is the trading classes in trading order, i.e. whether a model's outputs are trading signals. */
export function isTradingClassList(classes: readonly string[] | null): boolean {
  return classes !== null && classes.length === CLASS_NAMES.length && classes.every((name, i) => name === CLASS_NAMES[i]);
}

export interface LabelDistribution {
  readonly total: number;
  /** Per class name, in class order. */
  readonly counts: Readonly<Record<string, number>>;
  /** counts / total; all 0 for an empty label array. */
  readonly fractions: Readonly<Record<string, number>>;
}

/** Counts class indices by name; `classes` defaults to the trading classes. Indices outside the list are not counted. */
export function labelDistribution(labels: ArrayLike<number>, classes: readonly string[] = CLASS_NAMES): LabelDistribution {
  const tally = new Array<number>(classes.length).fill(0);
  for (let i = 0; i < labels.length; i++) {
    const label = labels[i];
    if (label >= 0 && label < classes.length) tally[label]++;
  }
  const total = labels.length;
  const counts: Record<string, number> = {};
  const fractions: Record<string, number> = {};
  classes.forEach((name, c) => {
    counts[name] = tally[c];
    fractions[name] = total === 0 ? 0 : tally[c] / total;
  });
  return { total, counts, fractions };
}

/** The original system's log line, e.g. `BUY=48.2%, HOLD=0.9%, SELL=50.9%`. */
export function formatLabelDistribution(distribution: LabelDistribution): string {
  return Object.entries(distribution.fractions)
    .map(([name, fraction]) => `${name}=${(100 * fraction).toFixed(1)}%`)
    .join(', ');
}
