import { KtrdrError } from '../errors.js';

export interface EarlyStoppingConfig {
  /** Defaults to true: giving the section turns it on, and `enabled: false` really turns it off (unlike the original). */
  readonly enabled?: boolean;
  /** Epochs without an improvement of at least `minDelta` before training stops. Default 10. */
  readonly patience?: number;
  /** How much the validation loss must fall to count as an improvement. Default 0.001. */
  readonly minDelta?: number;
}

/** What an `EarlyStopping` has learnt so far; `best` is +Infinity before the first epoch. */
export interface EarlyStoppingState {
  readonly best: number;
  readonly epochsWithoutImprovement: number;
}

export const EARLY_STOPPING_DEFAULTS = { patience: 10, minDelta: 0.001 } as const;

/**
 * Watches the validation loss and says when to stop. Every finite loss counts, 0.0 included (the original treated an
 * exact 0 as "missing"). Which weights to keep is the trainer's business: it keeps the lowest-loss epoch's.
 */
export class EarlyStopping {
  private readonly patience: number;
  private readonly minDelta: number;
  private best = Number.POSITIVE_INFINITY;
  private epochsWithoutImprovement = 0;

  constructor(config: EarlyStoppingConfig) {
    this.patience = config.patience ?? EARLY_STOPPING_DEFAULTS.patience;
    this.minDelta = config.minDelta ?? EARLY_STOPPING_DEFAULTS.minDelta;
    if (!Number.isInteger(this.patience) || this.patience < 1) {
      throw new KtrdrError('VALIDATION_FAILED', `early_stopping.patience must be an integer ≥ 1, got ${this.patience}`);
    }
    if (!(this.minDelta >= 0)) {
      throw new KtrdrError('VALIDATION_FAILED', `early_stopping.min_delta must be ≥ 0, got ${this.minDelta}`);
    }
  }

  /** The counters as plain data, for a checkpoint; `restore` puts them back. */
  snapshot(): EarlyStoppingState {
    return { best: this.best, epochsWithoutImprovement: this.epochsWithoutImprovement };
  }

  restore(state: EarlyStoppingState): void {
    this.best = state.best;
    this.epochsWithoutImprovement = state.epochsWithoutImprovement;
  }

  /** Records one epoch's validation loss; true when training should stop after this epoch. */
  shouldStop(validationLoss: number): boolean {
    if (validationLoss < this.best - this.minDelta) {
      this.best = validationLoss;
      this.epochsWithoutImprovement = 0;
      return false;
    }
    this.epochsWithoutImprovement += 1;
    return this.epochsWithoutImprovement >= this.patience;
  }
}
