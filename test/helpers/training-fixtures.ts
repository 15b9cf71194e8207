import { MarketDataRepository } from '../../src/data/repository.js';
import type { TrainingContext } from '../../src/training/pipeline.js';
import { createRecordingLogger, type LogRecord } from '../../src/util/logger.js';
import type { TrainingProgress } from '../../src/training/progress.js';
import type { EpochRecord } from '../../src/nn/index.js';

/** A small single-indicator strategy on the bundled S&P 500 data; trains in about a second. */
export const SPX_RSI_STRATEGY = `
name: spx_rsi_test
description: RSI zones on SPX daily
training_data:
  symbols: [SPX]
  timeframes: [1d]
  start_date: "2010-01-01"
  end_date: "2019-12-31"
indicators:
  rsi_14: {type: rsi, period: 14}
fuzzy_sets:
  rsi_zone:
    indicator: rsi_14
    oversold: [0, 25, 40]
    neutral: [30, 50, 70]
    overbought: [60, 75, 100]
nn_inputs:
  - fuzzy_set: rsi_zone
    timeframes: all
model:
  type: mlp
  hidden_layers: [8]
  activation: relu
  dropout: 0.1
decisions:
  output_format: classification
training:
  epochs: 4
  batch_size: 32
  learning_rate: 0.005
  seed: 7
  labels: {source: zigzag, zigzag_threshold: 0.03, price: close}
`;

export interface RecordedRun {
  ctx: TrainingContext;
  logs: LogRecord[];
  progress: TrainingProgress[];
  epochs: EpochRecord[];
  controller: AbortController;
}

/** A context that records everything the pipeline reports, reading the repository's bundled `data/`. */
export function recordingContext(overrides: Partial<TrainingContext> = {}): RecordedRun {
  const logs: LogRecord[] = [];
  const progress: TrainingProgress[] = [];
  const epochs: EpochRecord[] = [];
  const controller = new AbortController();
  const ctx: TrainingContext = {
    logger: createRecordingLogger((r) => logs.push(r)),
    onProgress: (p) => progress.push(p),
    onEpoch: (e) => epochs.push(e),
    signal: controller.signal,
    data: new MarketDataRepository(new URL('../../data', import.meta.url).pathname),
    execution: { mode: 'local', device: 'cpu' },
    ...overrides,
  };
  return { ctx, logs, progress, epochs, controller };
}
