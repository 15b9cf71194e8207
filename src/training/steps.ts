/**
 * The numbered steps of a training run, in order. Their text is part of the contract: users compare step logs of
 * local and remote runs, and tests pin them, so change them only deliberately.
 * `weight` is each step's share of the overall progress bar (training dominates the wall time).
 */
export const TRAINING_STEPS = [
  { key: 'validate', title: 'Validating strategy', weight: 1 },
  { key: 'load_data', title: 'Loading market data', weight: 3 },
  { key: 'indicators', title: 'Computing indicators', weight: 4 },
  { key: 'fuzzy', title: 'Computing fuzzy memberships', weight: 2 },
  { key: 'features', title: 'Building feature matrix', weight: 2 },
  { key: 'labels', title: 'Generating labels', weight: 2 },
  { key: 'split', title: 'Splitting data chronologically', weight: 1 },
  { key: 'build_model', title: 'Building model', weight: 1 },
  { key: 'train', title: 'Training model', weight: 78 },
  { key: 'evaluate', title: 'Evaluating on the test split', weight: 4 },
  { key: 'backtest', title: 'Backtesting on the test split', weight: 1 },
  { key: 'package', title: 'Packaging model artifact', weight: 2 },
] as const;

export type TrainingStepKey = (typeof TRAINING_STEPS)[number]['key'];

export const TOTAL_STEPS = TRAINING_STEPS.length;

export function stepIndex(key: TrainingStepKey): number {
  return TRAINING_STEPS.findIndex((s) => s.key === key);
}

/** `Step 3/12: Computing indicators` — the exact line written at info level when a step starts. */
export function stepLine(key: TrainingStepKey): string {
  const index = stepIndex(key);
  return `Step ${index + 1}/${TOTAL_STEPS}: ${TRAINING_STEPS[index].title}`;
}
