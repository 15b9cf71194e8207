import type { EpochMetrics, Operation } from '../operations/operation.js';

/**
 * What a sweep ranks by. Every objective is measured on the validation split: the test split stays untouched, so the
 * final report of the chosen configuration is still an honest out-of-sample figure.
 */
export const OBJECTIVES = ['val_loss', 'val_accuracy', 'val_sharpe'] as const;
export type Objective = (typeof OBJECTIVES)[number];

export const OBJECTIVE_DIRECTION: Readonly<Record<Objective, 'min' | 'max'>> = { val_loss: 'min', val_accuracy: 'max', val_sharpe: 'max' };

/**
 * A completed training's objective value, or null when it has none (a validation period too short to trade has no
 * Sharpe). Loss and accuracy are those of the best epoch, whose weights the model keeps.
 */
export function trialValue(objective: Objective, training: Operation, epochs: readonly EpochMetrics[]): number | null {
  if (objective === 'val_sharpe') return numberOrNull((training.result?.validation_period as { sharpe?: unknown } | null | undefined)?.sharpe);
  const bestEpoch = (training.result?.training_metrics as { best_epoch?: unknown } | undefined)?.best_epoch;
  const best = epochs.find((e) => e.epoch === bestEpoch) ?? lowestLoss(epochs);
  return numberOrNull(best?.[objective]);
}

function lowestLoss(epochs: readonly EpochMetrics[]): EpochMetrics | undefined {
  let best: EpochMetrics | undefined;
  for (const e of epochs) if (typeof e.val_loss === 'number' && (best === undefined || e.val_loss < (best.val_loss as number))) best = e;
  return best;
}

function numberOrNull(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}
