import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { parseStrategy, type Strategy } from '../config/strategy.js';
import { resolveStrategyName } from '../config/strategy-files.js';
import { digestSeries } from '../data/series-digests.js';
import type { TrainingJob } from '../execution/executor.js';
import { requiredTimeframes } from '../features/index.js';
import type { ExecutionMode } from '../operations/operation.js';
import { applyOverrides, type StrategyOverrides } from '../training/overrides.js';
import type { FileDigests } from '../util/file-digests.js';

/** A start request: a strategy by name, the per-run changes to it, and where it should run. */
export interface StartTrainingParams extends StrategyOverrides {
  /** A strategy file stem in the strategies directory (validated; never a path). */
  readonly strategyName: string;
  readonly executionMode?: ExecutionMode;
  readonly requireGpu?: boolean;
  /** The API token name that started it, recorded as `request.started_by`. */
  readonly startedBy?: string;
  /** The sweep or walk-forward this run is one trial of, recorded as `request.parent_id`. */
  readonly parentId?: string;
}

/** A request resolved once, at the edge: everything a run needs except the operation id it will get. */
export interface ResolvedTraining {
  readonly strategy: Strategy;
  readonly job: Omit<TrainingJob, 'operationId'>;
}

export interface RequestResolutionDeps {
  readonly strategiesDir: string;
  readonly dataDir: string;
  readonly digests: FileDigests;
}

/**
 * Turns a start request into a job: reads the named strategy, applies the request's overrides and seed to its text,
 * validates the result and names every data series it reads by hash. Any refusal (unknown name, invalid strategy,
 * missing data) happens here, before an operation exists. Nothing below re-applies or re-parses what this resolved.
 */
export async function resolveTraining(params: StartTrainingParams, deps: RequestResolutionDeps): Promise<ResolvedTraining> {
  const file = await resolveStrategyName(params.strategyName, deps.strategiesDir);
  const { strategyName: _name, executionMode: _mode, requireGpu: _gpu, startedBy: _by, parentId: _parent, ...overrides } = params;
  const strategyYaml = applyOverrides(await readFile(file, 'utf8'), overrides);
  const strategy = parseStrategy(strategyYaml, file, { expectedName: basename(file).replace(/\.ya?ml$/, '') });
  const data = await digestSeries(strategy.trainingData.symbols, requiredTimeframes(strategy), deps.dataDir, deps.digests);
  return { strategy, job: { strategyYaml, strategySource: file, data } };
}

/** What the operation records of its request: the effective values, so a reader never has to re-apply overrides. */
export function requestRecord(params: StartTrainingParams, resolved: ResolvedTraining, mode: ExecutionMode, requireGpu: boolean): object {
  const { trainingData, training, source } = resolved.strategy;
  return {
    strategy_name: params.strategyName,
    symbols: [...trainingData.symbols],
    timeframes: [...trainingData.timeframes],
    start_date: trainingData.startDate ?? null,
    end_date: trainingData.endDate ?? null,
    epochs: training.epochs,
    seed: training.seed,
    execution_mode: mode,
    require_gpu: requireGpu,
    strategy_file: basename(resolved.job.strategySource),
    strategy_sha256: source.sha256,
    ...(params.params !== undefined && Object.keys(params.params).length > 0 ? { params: params.params } : {}),
    ...(params.startedBy !== undefined ? { started_by: params.startedBy } : {}),
    ...(params.parentId !== undefined ? { parent_id: params.parentId } : {}),
  };
}
