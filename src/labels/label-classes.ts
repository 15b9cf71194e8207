/** Class indices shared by every classification labeler and the network's output layer. */
export const LABEL_BUY = 0;
export const LABEL_HOLD = 1;
export const LABEL_SELL = 2;

/** The trading classes by index: the one list of them (labels, network outputs, metrics, signals). */
export const CLASS_NAMES = ['BUY', 'HOLD', 'SELL'] as const;
export type ClassName = (typeof CLASS_NAMES)[number];

export interface ClassShares {
  readonly buy: number;
  readonly hold: number;
  readonly sell: number;
}

export interface LabelDistribution {
  readonly total: number;
  readonly counts: ClassShares;
  /** counts / total; all 0 for an empty label array. */
  readonly fractions: ClassShares;
}

export function labelDistribution(labels: ArrayLike<number>): LabelDistribution {
  let buy = 0;
  let hold = 0;
  let sell = 0;
  for (let i = 0; i < labels.length; i++) {
    const label = labels[i];
    if (label === LABEL_BUY) buy++;
    else if (label === LABEL_HOLD) hold++;
    else if (label === LABEL_SELL) sell++;
  }
  const total = labels.length;
  const share = (count: number) => (total === 0 ? 0 : count / total);
  return {
    total,
    counts: { buy, hold, sell },
    fractions: { buy: share(buy), hold: share(hold), sell: share(sell) },
  };
}

/** The original system's log line, e.g. `BUY=48.2%, HOLD=0.9%, SELL=50.9%`. */
export function formatLabelDistribution(distribution: LabelDistribution): string {
  const pct = (fraction: number) => `${(100 * fraction).toFixed(1)}%`;
  const { buy, hold, sell } = distribution.fractions;
  return `BUY=${pct(buy)}, HOLD=${pct(hold)}, SELL=${pct(sell)}`;
}
