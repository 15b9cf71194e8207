import { metricsFromConfusion } from '../../src/nn/metrics.js';
import { ARTIFACT_FORMAT, sha256Hex, type ModelArtifact } from '../../src/training/artifact.js';
import { CLASS_NAMES } from '../../src/labels/label-classes.js';

/** A small, internally consistent artifact for store and transport tests (not a trained model). */
export function buildArtifact(overrides: { strategy?: string; operationId?: string | null; weights?: Uint8Array } = {}): ModelArtifact {
  const weights = overrides.weights ?? new Uint8Array(new Float32Array([0.5, -0.25, 1, 2, 0, -1]).buffer);
  return {
    format: ARTIFACT_FORMAT,
    strategy_name: overrides.strategy ?? 'demo',
    model: { type: 'mlp', spec: { inputs: 1, hidden: [], outputs: 3, activation: 'relu', dropout: 0 }, parameter_count: 6 },
    weights,
    features: { names: ['1d_rsi_zone_low'], base_timeframe: '1d', timeframes: ['1d'] },
    labels: { source: 'zigzag', zigzag_threshold: 0.03, price: 'close', classes: [...CLASS_NAMES], distribution: { BUY: 5, HOLD: 1, SELL: 4 } },
    metrics: {
      history: [{ epoch: 1, train_loss: 1, train_accuracy: 0.5, val_loss: 1.1, val_accuracy: 0.4, learning_rate: 0.001, duration_ms: 3 }],
      best_epoch: 1,
      stopped_early: false,
      // Two test rows, one right: accuracy 0.5.
      test: {
        loss: 0.7,
        ...metricsFromConfusion(
          [
            [1, 0, 0],
            [0, 0, 0],
            [1, 0, 0],
          ],
          CLASS_NAMES,
        ),
      },
      split: { train: 7, validation: 1, test: 2 },
    },
    manifest: {
      strategy_name: overrides.strategy ?? 'demo',
      strategy_sha256: sha256Hex('name: demo\n'),
      data: [],
      symbols: ['SPX'],
      timeframes: ['1d'],
      start_date: null,
      end_date: null,
      seed: 1,
      package_version: '0.0.0',
      execution: { mode: 'local', device: 'cpu' },
      durations_ms: { total: 1 },
      created_at: '2026-01-01T00:00:00.000Z',
      operation_id: overrides.operationId === undefined ? null : overrides.operationId,
      weights_sha256: sha256Hex(weights),
    },
    strategy_yaml: 'name: demo\n',
  };
}
