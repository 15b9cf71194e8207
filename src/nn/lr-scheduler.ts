/**
 * Learning-rate schedules (`training.lr_scheduler`), stepped once per epoch after validation as the original did, so
 * epoch e (counting from 1) trains with the rate after e − 1 steps. The formulas and defaults are PyTorch's classes
 * with the original's settings:
 * - `step`: lr₀·γ^⌊(e − 1)/step_size⌋ (StepLR; step_size 30, γ 0.1).
 * - `exponential`: lr₀·γ^(e − 1) (ExponentialLR; γ 0.95).
 * - `cosine`: η_min + (lr₀ − η_min)·(1 + cos(π·(e − 1)/T_max))/2 (CosineAnnealingLR in its closed form; T_max the
 *   epoch count, η_min 0). Not in the original.
 * - `reduce_on_plateau`: multiplies the rate by `factor` (0.5) once the validation loss has not improved for more
 *   than `patience` (5) epochs, improvement meaning below best·(1 − 1e−4) (mode min, relative threshold); the bad-epoch
 *   count restarts after each reduction; never below `min_lr` (0), and a change under 1e−8 is skipped.
 */
export type LrSchedulerConfig =
  | { readonly type: 'step'; readonly stepSize: number; readonly gamma: number }
  | { readonly type: 'exponential'; readonly gamma: number }
  | { readonly type: 'cosine'; readonly tMax: number; readonly etaMin: number }
  | { readonly type: 'reduce_on_plateau'; readonly factor: number; readonly patience: number; readonly minLr: number };

export const LR_SCHEDULERS = ['step', 'exponential', 'reduce_on_plateau', 'cosine'] as const;

const PLATEAU_THRESHOLD = 1e-4;
const PLATEAU_EPS = 1e-8;

export interface LrScheduler {
  /** The rate for the next epoch, given the validation loss of the epoch that just ended. */
  step(validationLoss: number): number;
}

export function createLrScheduler(config: LrSchedulerConfig, initialRate: number): LrScheduler {
  let steps = 0;
  switch (config.type) {
    case 'step':
      return { step: () => initialRate * Math.pow(config.gamma, Math.floor(++steps / config.stepSize)) };
    case 'exponential':
      return { step: () => initialRate * Math.pow(config.gamma, ++steps) };
    case 'cosine':
      return {
        step: () => config.etaMin + ((initialRate - config.etaMin) * (1 + Math.cos((Math.PI * ++steps) / config.tMax))) / 2,
      };
    case 'reduce_on_plateau': {
      let rate = initialRate;
      let best = Number.POSITIVE_INFINITY;
      let badEpochs = 0;
      return {
        step: (loss) => {
          if (loss < best * (1 - PLATEAU_THRESHOLD)) {
            best = loss;
            badEpochs = 0;
          } else if (++badEpochs > config.patience) {
            const reduced = Math.max(rate * config.factor, config.minLr);
            if (rate - reduced > PLATEAU_EPS) rate = reduced;
            badEpochs = 0;
          }
          return rate;
        },
      };
    }
  }
}
