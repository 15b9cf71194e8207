import { makeSyntheticClassification, train, type MlpSpec, type TrainerResult } from '../src/nn/index.js';

/** bench:train's protocol (nn-stack-evaluation.md): shared by the benchmark and its helper thread. */
const ROWS = 100_000;
const FEATURES = 40;
export const TRAIN_ROWS = 80_000;
export const EPOCHS = 5;

const spec: MlpSpec = { inputs: FEATURES, hidden: [64, 32], outputs: 3, activation: 'relu', dropout: 0.2 };

export interface BenchData {
  readonly train: { x: Float32Array; y: Int32Array; rows: number; features: number };
  readonly validation: { x: Float32Array; y: Int32Array; rows: number; features: number };
}

/** 100,000 synthetic rows × 40 features, 80k for training and 20k for validation. */
export function benchData(): BenchData {
  const data = makeSyntheticClassification(ROWS, FEATURES, 2026);
  const split = TRAIN_ROWS * FEATURES;
  return {
    train: { x: data.x.subarray(0, split), y: data.y.subarray(0, TRAIN_ROWS), rows: TRAIN_ROWS, features: FEATURES },
    validation: { x: data.x.subarray(split), y: data.y.subarray(TRAIN_ROWS), rows: ROWS - TRAIN_ROWS, features: FEATURES },
  };
}

/** The MLP 40→64→32→3, ReLU, dropout 0.2, Adam lr 1e-3, 5 epochs. */
export function trainOnce(data: BenchData, backend: string, threads: number, batchSize: number, seed: number): Promise<TrainerResult> {
  return train(data, spec, { epochs: EPOCHS, batchSize, learningRate: 1e-3, seed, backend, threads });
}
