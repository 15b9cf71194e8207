/**
 * The parts of `GET /models/{strategy}/{version}` the contract leaves as open records (they are written by the
 * training artifact, src/training/artifact.ts); read defensively, since older models may lack some of them.
 */

export interface ClassReport {
  readonly class: string;
  readonly precision: number;
  readonly recall: number;
  readonly f1_score: number;
  readonly support: number;
}

export interface TestReport {
  readonly accuracy?: number;
  readonly baseline_accuracy?: number;
  readonly majority_class?: string;
  readonly loss?: number;
  readonly f1_score?: number;
  readonly per_class?: ClassReport[];
  readonly confusion_matrix?: number[][];
}

export interface TestBacktest {
  readonly settings: Record<string, unknown>;
  readonly symbols: {
    symbol: string;
    bars: number;
    first_bar: string;
    last_bar: string;
    metrics: Record<string, unknown>;
    benchmark: Record<string, unknown>;
  }[];
  readonly mean: { metrics: Record<string, unknown>; benchmark: Record<string, unknown> };
}

export interface Manifest {
  readonly strategy_sha256?: string;
  readonly weights_sha256?: string;
  readonly seed?: number;
  readonly start_date?: string | null;
  readonly end_date?: string | null;
  readonly package_version?: string;
  readonly data?: { symbol: string; timeframe: string; sha256: string; bars: number; first: string; last: string }[];
  readonly execution?: { mode: string; device: string; host?: string };
  readonly durations_ms?: Record<string, number>;
}

export interface HistoryRecord {
  readonly epoch: number;
  readonly train_loss?: number;
  readonly val_loss?: number;
  readonly train_accuracy?: number;
  readonly val_accuracy?: number;
}
