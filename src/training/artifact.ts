import { createHash } from 'node:crypto';

/**
 * What a finished training run produces, in memory. The pipeline returns it and never writes it; the backend's
 * model store is the single writer. It is plain data so it can cross a worker-thread or HTTP boundary unchanged.
 */
export interface ModelArtifact {
  readonly format: typeof ARTIFACT_FORMAT;
  readonly strategy_name: string;
  /** Network description (architecture, input width, classes); enough to rebuild it for inference. */
  readonly model: ModelDescription;
  /** `weights.bin` bytes, layout defined by `src/nn/serialize.ts`. */
  readonly weights: Uint8Array;
  readonly features: FeatureDescription;
  readonly labels: LabelDescription;
  readonly metrics: ArtifactMetrics;
  readonly manifest: ModelManifest;
  /** The exact strategy text that was trained. */
  readonly strategy_yaml: string;
}

export const ARTIFACT_FORMAT = 'ktrdr-model/1';
export const CLASS_NAMES = ['BUY', 'HOLD', 'SELL'] as const;
export type ClassName = (typeof CLASS_NAMES)[number];

export interface ModelDescription {
  readonly type: 'mlp';
  readonly spec: Record<string, unknown>;
  readonly parameter_count: number;
}

export interface FeatureDescription {
  /** Ordered feature ids, `{timeframe}_{fuzzy_set}_{membership}`; column order of the network input. */
  readonly names: readonly string[];
  readonly base_timeframe: string;
  readonly timeframes: readonly string[];
}

export interface LabelDescription {
  readonly source: 'zigzag';
  readonly zigzag_threshold: number;
  readonly price: 'close' | 'high_low';
  readonly classes: readonly ClassName[];
  /** Label counts over all labelled rows, per class name. */
  readonly distribution: Record<ClassName, number>;
}

export interface ArtifactMetrics {
  readonly history: readonly Record<string, number>[];
  readonly best_epoch: number;
  readonly stopped_early: boolean;
  readonly test: Record<string, unknown>;
  readonly split: { train: number; validation: number; test: number };
}

export interface DataFingerprint {
  readonly symbol: string;
  readonly timeframe: string;
  readonly sha256: string;
  readonly bars: number;
  readonly first: string;
  readonly last: string;
}

export interface ModelManifest {
  readonly strategy_name: string;
  readonly strategy_sha256: string;
  readonly data: readonly DataFingerprint[];
  readonly symbols: readonly string[];
  readonly timeframes: readonly string[];
  readonly start_date: string | null;
  readonly end_date: string | null;
  readonly seed: number;
  readonly package_version: string;
  readonly execution: { readonly mode: 'local' | 'host'; readonly device: string; readonly host?: string };
  readonly durations_ms: Record<string, number>;
  readonly created_at: string;
  readonly operation_id: string | null;
  readonly weights_sha256: string;
}

export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** JSON form for transport (weights as base64); `artifactFromJson` reverses it and checks the weights hash. */
export function artifactToJson(artifact: ModelArtifact): string {
  return JSON.stringify({ ...artifact, weights: Buffer.from(artifact.weights).toString('base64') });
}

export function artifactFromJson(text: string): ModelArtifact {
  const raw = JSON.parse(text) as Omit<ModelArtifact, 'weights'> & { weights: string };
  if (raw.format !== ARTIFACT_FORMAT) throw new Error(`unsupported artifact format '${String(raw.format)}'`);
  const weights = new Uint8Array(Buffer.from(raw.weights, 'base64'));
  if (sha256Hex(weights) !== raw.manifest.weights_sha256) throw new Error('artifact weights do not match their sha256');
  return { ...raw, weights };
}
