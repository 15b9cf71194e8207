import type { ModelDetail, ModelSummary, PredictRequest, PredictResponse } from '../../contracts/models.js';
import type { MarketDataSource } from '../../data/repository.js';
import { predictFromStore } from '../../models/inference.js';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { KtrdrError } from '../../errors.js';
import { MODEL_FILES, type ModelStore } from '../../models/model-store.js';

/** Read access to trained models, and prediction with them. The API never writes models; the training service does. */
export class ModelCatalog {
  constructor(
    private readonly models: ModelStore,
    private readonly data: MarketDataSource,
  ) {}

  async list(strategy?: string): Promise<ModelSummary[]> {
    const versions = await this.models.list(strategy);
    // The on-disk path is a server detail; clients address a model by strategy and version.
    return versions.map(({ strategy: name, version, created_at, operation_id, test_accuracy, test_period, feature_count }) => ({
      strategy: name,
      version,
      created_at,
      operation_id,
      test_accuracy,
      test_period,
      feature_count,
    }));
  }

  /** MODEL_NOT_FOUND (404) for an unknown strategy or version; `latest` means the newest version. */
  async get(strategy: string, version: number | 'latest'): Promise<ModelDetail> {
    const stored = await this.models.load(strategy, version === 'latest' ? undefined : version);
    const { artifact } = stored;
    return {
      strategy: artifact.strategy_name,
      version: stored.version,
      created_at: artifact.manifest.created_at,
      operation_id: artifact.manifest.operation_id,
      model: { ...artifact.model, spec: { ...artifact.model.spec } },
      features: {
        names: [...artifact.features.names],
        base_timeframe: artifact.features.base_timeframe,
        timeframes: [...artifact.features.timeframes],
      },
      labels: { ...artifact.labels },
      metrics: {
        history: artifact.metrics.history.map((record) => ({ ...record })),
        best_epoch: artifact.metrics.best_epoch,
        stopped_early: artifact.metrics.stopped_early,
        test: { ...artifact.metrics.test },
        split: { ...artifact.metrics.split },
        backtest: artifact.metrics.backtest ? { ...artifact.metrics.backtest } : null,
        feature_importance: artifact.metrics.feature_importance ? artifact.metrics.feature_importance.map((entry) => ({ ...entry })) : null,
      },
      manifest: { ...artifact.manifest },
      files: await Promise.all(MODEL_FILES.map(async (name) => ({ name, bytes: (await readFile(join(stored.path, name))).length }))),
    };
  }

  /**
   * One of a version's files, as stored (weights as raw bytes): what a user downloads to keep or move a model. Only
   * the known file names are served, so the name cannot reach outside the version's directory.
   */
  async file(strategy: string, version: number | 'latest', name: string): Promise<{ version: number; bytes: Buffer }> {
    if (!(MODEL_FILES as readonly string[]).includes(name)) {
      throw new KtrdrError('MODEL_NOT_FOUND', `a model version has no file '${name}'`, { details: { files: MODEL_FILES } });
    }
    const stored = await this.models.load(strategy, version === 'latest' ? undefined : version);
    return { version: stored.version, bytes: await readFile(join(stored.path, name)) };
  }

  async predict(strategy: string, request: PredictRequest): Promise<PredictResponse> {
    const result = await predictFromStore(this.models, this.data, {
      strategy,
      version: request.version,
      symbol: request.symbol,
      timeframe: request.timeframe,
      start: request.start_date,
      end: request.end_date,
      last: request.last,
    });
    return { ...result, predictions: [...result.predictions] };
  }
}
