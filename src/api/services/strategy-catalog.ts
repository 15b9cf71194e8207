import { featureIds, type Strategy, type StrategyProblem } from '../../config/strategy.js';
import { listStrategies, loadStrategyFile, resolveStrategyName, type StrategyListing } from '../../config/strategy-files.js';
import type { StrategyDetail, StrategySummary, StrategyValidation } from '../../contracts/strategies.js';
import { isKtrdrError } from '../../errors.js';
import type { ModelStore } from '../../models/model-store.js';
import { UNFINISHED_STATUSES, type Operation } from '../../operations/operation.js';
import type { OperationStore } from '../../operations/operation-store.js';
import { trainingStatus } from './training-status.js';

export interface StrategyCatalogDeps {
  readonly strategiesDir: string;
  readonly operations: OperationStore;
  readonly models: ModelStore;
}

const TEST_METRIC_KEYS = [
  'accuracy',
  'loss',
  'precision',
  'recall',
  'f1_score',
  'baseline_accuracy',
  'mse',
  'mae',
  'r2',
  'directional_accuracy',
] as const;

/** Strategy files joined with what happened to them: training status from operations, versions from the model store. */
export class StrategyCatalog {
  constructor(private readonly deps: StrategyCatalogDeps) {}

  async list(): Promise<StrategySummary[]> {
    const listings = await listStrategies(this.deps.strategiesDir);
    return Promise.all(listings.map((listing) => this.summarise(listing)));
  }

  /** STRATEGY_NOT_FOUND (404, naming where it looked), INVALID_NAME (400) or STRATEGY_INVALID (422, every problem). */
  async get(name: string): Promise<StrategyDetail> {
    const file = await resolveStrategyName(name, this.deps.strategiesDir);
    const strategy = await loadStrategyFile(file);
    return { ...(await this.summarise({ name, file, strategy })), ...details(strategy) };
  }

  /** A valid and an invalid file are both answers (200); only a missing file or a bad name is an error. */
  async validate(name: string): Promise<StrategyValidation> {
    const file = await resolveStrategyName(name, this.deps.strategiesDir);
    try {
      const strategy = await loadStrategyFile(file);
      return { name, valid: true, errors: [], warnings: problems(strategy.warnings) };
    } catch (error) {
      if (!isKtrdrError(error) || error.code !== 'STRATEGY_INVALID') throw error;
      return { name, valid: false, errors: problemsOf(error.details), warnings: [] };
    }
  }

  private async summarise(listing: StrategyListing): Promise<StrategySummary> {
    const { strategy } = listing;
    if (!strategy) {
      return {
        name: listing.name,
        model_name: null,
        valid: false,
        description: '',
        symbols: [],
        timeframes: [],
        training_status: 'untrained',
        latest_version: null,
        test_metrics: null,
        test_period: null,
        best_sweep: null,
        errors: problemsOf(listing.error?.details),
      };
    }
    const modelName = strategy.name;
    const { operations, models } = this.deps;
    const [inProgress, lastFinished, versions, lastSweep] = await Promise.all([
      // Training status is about trainings: a backtest of the strategy's model neither trains nor fails it.
      operations.list({ strategy: modelName, type: 'training', status: UNFINISHED_STATUSES, limit: 1 }),
      operations.list({ strategy: modelName, type: 'training', status: ['completed', 'failed'], limit: 1 }),
      models.list(modelName),
      operations.list({ strategy: modelName, type: 'sweep', status: 'completed', limit: 1 }),
    ]);
    const latest = versions[versions.length - 1] ?? null;
    return {
      name: listing.name,
      model_name: modelName,
      valid: true,
      description: strategy.description,
      symbols: [...strategy.trainingData.symbols],
      timeframes: [...strategy.trainingData.timeframes],
      training_status: trainingStatus({
        inProgress: inProgress.total > 0,
        lastFinished: lastFinished.data[0] ?? null,
        latestModelAt: latest?.created_at ?? null,
      }),
      latest_version: latest?.version ?? null,
      test_metrics: latest ? await this.testMetrics(modelName, latest.version) : null,
      test_period: latest?.test_period ?? null,
      best_sweep: bestSweep(lastSweep.data[0]),
    };
  }

  private async testMetrics(strategy: string, version: number): Promise<StrategySummary['test_metrics']> {
    try {
      const { artifact } = await this.deps.models.load(strategy, version);
      const metrics: Record<string, unknown> = {};
      for (const key of TEST_METRIC_KEYS)
        if (key in artifact.metrics.test) metrics[key] = (artifact.metrics.test as unknown as Record<string, unknown>)[key];
      return metrics;
    } catch (error) {
      // A corrupt version must not hide the strategy from the listing; loading it reports the problem.
      if (isKtrdrError(error)) return null;
      throw error;
    }
  }
}

/** The mark a completed sweep leaves on its strategy: its best configuration (none when no training completed). */
function bestSweep(sweep: Operation | undefined): StrategySummary['best_sweep'] {
  const best = sweep?.result?.best as { params: Record<string, unknown>; value: number | null; std: number | null; seeds: number } | null | undefined;
  if (sweep === undefined || best === null || best === undefined) return null;
  return {
    sweep_id: sweep.id,
    objective: String(sweep.result?.objective),
    params: best.params,
    value: best.value,
    std: best.std,
    seeds: best.seeds,
    finished_at: sweep.finished_at,
  };
}

function details(strategy: Strategy): Omit<StrategyDetail, keyof StrategySummary> {
  const { trainingData, model, training } = strategy;
  return {
    version: strategy.version,
    base_timeframe: trainingData.baseTimeframe,
    start_date: trainingData.startDate ?? null,
    end_date: trainingData.endDate ?? null,
    indicators: strategy.indicators.map((i) => ({ id: i.id, type: i.type, params: { ...i.params } })),
    fuzzy_sets: strategy.fuzzySets.map((s) => ({ id: s.id, indicator: s.indicator, memberships: s.memberships.map((m) => m.name) })),
    features: featureIds(strategy),
    model: { type: model.type, hidden_layers: [...model.hiddenLayers], activation: model.activation, dropout: model.dropout },
    training: { epochs: training.epochs, batch_size: training.batchSize, learning_rate: training.learningRate, seed: training.seed },
    warnings: problems(strategy.warnings),
  };
}

function problems(list: readonly StrategyProblem[]): StrategyProblem[] {
  return list.map((p) => ({ path: p.path, message: p.message, ...(p.line !== undefined ? { line: p.line } : {}) }));
}

function problemsOf(details: unknown): StrategyProblem[] {
  const errors = (details as { errors?: StrategyProblem[] } | undefined)?.errors;
  return Array.isArray(errors) ? problems(errors) : [];
}
