import { TRAINING_STEPS, TOTAL_STEPS, stepIndex, type TrainingStepKey } from './steps.js';

/** The latest metrics shown with progress (during training: the last finished epoch). */
export interface ProgressMetrics {
  train_loss?: number;
  train_accuracy?: number;
  val_loss?: number;
  val_accuracy?: number;
}

/** One progress snapshot. Everything a progress bar, an operation record or an SSE client needs. */
export interface TrainingProgress {
  /** 0..100, phase-weighted, never decreases within a run. */
  percent: number;
  step: TrainingStepKey;
  step_index: number;
  total_steps: number;
  message: string;
  epoch?: number;
  total_epochs?: number;
  batch?: number;
  total_batches?: number;
  metrics?: ProgressMetrics;
  /** Estimated seconds left, from the training rate so far; absent until it can be estimated. */
  eta_seconds?: number;
}

const TOTAL_WEIGHT = TRAINING_STEPS.reduce((sum, s) => sum + s.weight, 0);

/** Fraction of the bar completed before the given step starts. */
function weightBefore(index: number): number {
  let sum = 0;
  for (let i = 0; i < index; i++) sum += TRAINING_STEPS[i].weight;
  return sum;
}

/**
 * Turns step and batch positions into monotonic overall percentages, and estimates the time left from how fast the
 * training step advances. One tracker per run; `now` is injectable so tests need no real clock.
 */
export class ProgressTracker {
  private lastPercent = 0;
  private current: TrainingProgress;
  private trainStartedAt: number | undefined;
  private trainStartPercent = 0;

  constructor(
    private readonly emit: (progress: TrainingProgress) => void,
    private readonly now: () => number = Date.now,
  ) {
    this.current = { percent: 0, step: 'validate', step_index: 0, total_steps: TOTAL_STEPS, message: 'Starting' };
  }

  get snapshot(): TrainingProgress {
    return this.current;
  }

  startStep(step: TrainingStepKey, message: string): void {
    const index = stepIndex(step);
    if (step === 'train') {
      this.trainStartedAt = this.now();
      this.trainStartPercent = (100 * weightBefore(index)) / TOTAL_WEIGHT;
    }
    this.publish({ step, step_index: index, total_steps: TOTAL_STEPS, message, percent: (100 * weightBefore(index)) / TOTAL_WEIGHT });
  }

  /** Progress inside the training step; `fraction` of all batches of all epochs done. */
  trainingProgress(update: Omit<TrainingProgress, 'percent' | 'step' | 'step_index' | 'total_steps'> & { fraction: number }): void {
    const index = stepIndex('train');
    const { fraction, ...rest } = update;
    const clamped = Math.min(1, Math.max(0, fraction));
    const percent = (100 * (weightBefore(index) + clamped * TRAINING_STEPS[index].weight)) / TOTAL_WEIGHT;
    this.publish({ ...rest, step: 'train', step_index: index, total_steps: TOTAL_STEPS, percent, eta_seconds: this.estimateEta(percent) });
  }

  complete(message: string): void {
    const last = TRAINING_STEPS.length - 1;
    this.publish({ step: TRAINING_STEPS[last].key, step_index: last, total_steps: TOTAL_STEPS, message, percent: 100, eta_seconds: 0 });
  }

  private estimateEta(percent: number): number | undefined {
    if (this.trainStartedAt === undefined) return undefined;
    const elapsed = (this.now() - this.trainStartedAt) / 1000;
    const done = percent - this.trainStartPercent;
    if (done <= 0 || elapsed <= 0) return undefined;
    return Math.max(0, ((100 - percent) * elapsed) / done);
  }

  private publish(next: TrainingProgress): void {
    const percent = Math.max(this.lastPercent, Math.min(100, next.percent));
    this.lastPercent = percent;
    this.current = { ...next, percent: Math.round(percent * 100) / 100 };
    this.emit(this.current);
  }
}
