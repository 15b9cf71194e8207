import type { ResultSummary } from '../operations/operation.js';
import type { ModelArtifact } from '../training/artifact.js';
import { testPeriodSummary } from '../training/test-backtest.js';

/** Test metrics kept on the operation; the full report (per class, confusion matrix) stays with the model. */
const TEST_METRIC_KEYS = [
  'accuracy',
  'loss',
  'precision',
  'recall',
  'f1_score',
  'baseline_accuracy',
  'majority_class',
  'samples',
  'mse',
  'mae',
  'r2',
  'directional_accuracy',
] as const;

/**
 * What a completed operation records: where its model went plus the numbers a user asks first. Field names are
 * the artifact's own, so nothing here can drift from what the model store holds.
 */
export function trainingResultSummary(artifact: ModelArtifact, modelVersion: number): ResultSummary {
  const { metrics, manifest } = artifact;
  const history = metrics.history;
  const last = history[history.length - 1] ?? {};
  const test: Record<string, unknown> = {};
  for (const key of TEST_METRIC_KEYS) if (key in metrics.test) test[key] = (metrics.test as unknown as Record<string, unknown>)[key];
  return {
    model_version: modelVersion,
    model_strategy: artifact.strategy_name,
    test_metrics: test,
    test_period: testPeriodSummary(metrics.backtest),
    // The validation period's figures, for ranking configurations (a sweep's val_sharpe) without the test period.
    validation_period: testPeriodSummary(metrics.validation_backtest),
    training_metrics: {
      epochs_trained: history.length,
      best_epoch: metrics.best_epoch,
      stopped_early: metrics.stopped_early,
      final_train_loss: last.train_loss ?? null,
      final_train_accuracy: last.train_accuracy ?? null,
      final_val_loss: last.val_loss ?? null,
      final_val_accuracy: last.val_accuracy ?? null,
      training_time_ms: manifest.durations_ms.train ?? null,
      total_time_ms: manifest.durations_ms.total ?? null,
    },
    data_summary: {
      symbols: manifest.symbols,
      timeframes: manifest.timeframes,
      start_date: manifest.start_date,
      end_date: manifest.end_date,
      samples: metrics.split,
      feature_count: artifact.features.names.length,
    },
  };
}
