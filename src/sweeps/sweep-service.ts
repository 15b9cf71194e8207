import { KtrdrError, isKtrdrError } from '../errors.js';
import { isTerminal, type ExecutionMode, type Operation, type OperationError } from '../operations/operation.js';
import type { OperationStore } from '../operations/operation-store.js';
import { newOperationId } from '../trainings/operation-id.js';
import type { StartTrainingParams, TrainingService } from '../trainings/training-service.js';
import type { Logger } from '../util/logger.js';
import { findChildren } from './children.js';
import { runParent } from './parent-run.js';
import { ParentRuns } from './parent-runs.js';
import { OBJECTIVE_DIRECTION, trialValue, type Objective } from './objective.js';
import { MAX_TRIALS, sweepConfigurations, type Configuration, type ParamAxis, type SweepSearch } from './param-grid.js';
import { rankConfigurations, tableToJson, type ConfigurationRow, type TrialRecord } from './results-table.js';

/** `ktrdr sweep` / `POST /sweeps` in domain terms. */
export interface StartSweepParams {
  readonly strategyName: string;
  readonly axes: readonly ParamAxis[];
  /** Each configuration is trained once per seed. @defaultValue the strategy's own `training.seed` only */
  readonly seeds?: readonly number[];
  /** @defaultValue grid */
  readonly search?: SweepSearch;
  /** @defaultValue val_loss */
  readonly objective?: Objective;
  /** Trainings unfinished at once. @defaultValue the local executor's slots */
  readonly maxParallel?: number;
  /** Overrides `training.epochs` in every trial. */
  readonly epochs?: number;
  readonly executionMode?: ExecutionMode;
  readonly requireGpu?: boolean;
  readonly startedBy?: string;
}

/** A sweep and where it stands: its configurations ranked by the objective (live while it runs). */
export interface SweepReport {
  readonly sweep: Operation;
  readonly objective: Objective;
  readonly direction: 'min' | 'max';
  readonly total: number;
  readonly finished: number;
  readonly configurations: readonly ConfigurationRow[];
}

export interface SweepServiceDeps {
  readonly operations: OperationStore;
  readonly training: Pick<TrainingService, 'start' | 'cancel' | 'check' | 'localSlots'>;
  readonly logger: Logger;
  readonly now?: () => Date;
}

/** Trials of a running sweep that never became an operation (the start was refused), by trial index. */
type RefusedTrials = Map<number, OperationError>;

/** The parts of a sweep's request the results are rebuilt from. */
interface SweepPlan {
  readonly configurations: readonly Configuration[];
  readonly seeds: readonly (number | null)[];
  readonly objective: Objective;
}

/**
 * Sweeps as operations of type `sweep`: every configuration is validated before anything is recorded, then each
 * (configuration, seed) is an ordinary training started through the training service, `request.parent_id` naming the
 * sweep. Cancelling the sweep (the operation cancel, as for any type) cancels its queued and running trainings. The
 * results are rebuilt from the children's records, so they read the same live, after completion and after a restart.
 */
export class SweepService {
  private readonly runs: ParentRuns<RefusedTrials>;
  private readonly now: () => Date;

  constructor(private readonly deps: SweepServiceDeps) {
    this.now = deps.now ?? (() => new Date());
    this.runs = new ParentRuns(deps.operations, 'sweeps');
  }

  async start(params: StartSweepParams): Promise<Operation> {
    this.runs.refuseIfClosing();
    const objective = params.objective ?? 'val_loss';
    const configurations = sweepConfigurations(params.axes, params.search ?? { kind: 'grid' });
    const seeds: readonly (number | undefined)[] = params.seeds && params.seeds.length > 0 ? params.seeds : [undefined];
    const total = configurations.length * seeds.length;
    if (total > MAX_TRIALS) {
      const message = `the sweep has ${total} trainings (${configurations.length} configurations × ${seeds.length} seeds); at most ${MAX_TRIALS}`;
      throw new KtrdrError('VALIDATION_FAILED', message, { details: { param: 'seeds' } });
    }
    const maxParallel = params.maxParallel ?? this.deps.training.localSlots();
    if (!Number.isInteger(maxParallel) || maxParallel < 1)
      throw new KtrdrError('VALIDATION_FAILED', `max parallel must be a positive integer, got ${maxParallel}`);

    const base = { strategyName: params.strategyName, epochs: params.epochs, executionMode: params.executionMode, requireGpu: params.requireGpu };
    let strategy = params.strategyName;
    // Nothing is started unless every configuration is a valid strategy: a typo in the tenth value must not cost nine runs.
    for (const configuration of configurations) strategy = (await this.checkConfiguration(base, configuration, seeds[0])).strategy.name;

    const starts: StartTrainingParams[] = configurations.flatMap((c) =>
      seeds.map((seed) => ({ ...base, params: c.params, seed, startedBy: params.startedBy })),
    );
    const sweep = await this.deps.operations.create({
      id: newOperationId(this.now(), 'sweep'),
      type: 'sweep',
      strategy,
      request: {
        strategy_name: params.strategyName,
        params: Object.fromEntries(params.axes.map((a) => [a.path, a.values])),
        seeds: seeds.map((s) => s ?? null),
        search: params.search ?? { kind: 'grid' },
        objective,
        max_parallel: maxParallel,
        trainings: total,
        configurations: configurations.map((c) => ({ id: c.id, params: c.params })),
        ...(params.epochs !== undefined ? { epochs: params.epochs } : {}),
        ...(params.executionMode !== undefined ? { execution_mode: params.executionMode } : {}),
        ...(params.startedBy !== undefined ? { started_by: params.startedBy } : {}),
      },
      execution: {
        requested: params.executionMode ?? 'auto',
        selected: 'local',
        reason: 'a sweep is scheduled by the server; each of its trainings is placed on its own',
      },
    });
    const running = await this.deps.operations.markRunning(sweep.id);
    this.follow(running, starts, maxParallel);
    this.deps.logger.info(
      { operation_id: sweep.id, strategy },
      `sweep ${sweep.id} started: ${configurations.length} configuration(s) × ${seeds.length} seed(s)`,
    );
    return running;
  }

  /** The sweep's ranked table. OPERATION_NOT_FOUND when there is no sweep of that id. */
  async report(id: string): Promise<SweepReport> {
    const sweep = await this.deps.operations.get(id);
    if (sweep.type !== 'sweep') throw new KtrdrError('OPERATION_NOT_FOUND', `operation ${id} is a ${sweep.type}, not a sweep`, { details: { id } });
    const plan = planOf(sweep);
    const trials = await this.trials(sweep, plan);
    return {
      sweep,
      objective: plan.objective,
      direction: OBJECTIVE_DIRECTION[plan.objective],
      total: plan.configurations.length * plan.seeds.length,
      finished: trials.filter((t) => t.status !== 'queued' && isTerminal(t.status)).length,
      configurations: rankConfigurations(plan.configurations, trials, plan.objective),
    };
  }

  /** Resolves when the sweep (if this process runs it) has recorded its end. */
  whenFinished(id: string): Promise<void> {
    return this.runs.whenFinished(id);
  }

  /** Stops accepting sweeps, cancels the running ones with their trainings and waits until each is recorded as ended. */
  close(reason = 'the server shut down'): Promise<void> {
    return this.runs.close(reason);
  }

  private async checkConfiguration(base: StartTrainingParams, configuration: Configuration, seed: number | undefined) {
    try {
      return await this.deps.training.check({ ...base, params: configuration.params, seed });
    } catch (error) {
      if (!isKtrdrError(error)) throw error;
      const named = Object.entries(configuration.params)
        .map(([path, value]) => `${path}=${JSON.stringify(value)}`)
        .join(', ');
      throw new KtrdrError(error.code, `configuration ${named} is invalid: ${error.message}`, {
        details: { params: configuration.params, problem: error.details ?? null },
        hint: error.hint,
        cause: error,
      });
    }
  }

  private follow(sweep: Operation, starts: readonly StartTrainingParams[], maxParallel: number): void {
    const refused: RefusedTrials = new Map();
    const finished = runParent(
      { operations: this.deps.operations, training: this.deps.training, logger: this.deps.logger },
      {
        parent: sweep,
        starts,
        maxParallel,
        noun: 'trainings',
        onEnd: (end) => {
          if (end.error !== undefined) refused.set(end.index, end.error);
        },
        complete: () => this.result(sweep.id),
      },
    );
    this.runs.add(sweep.id, refused, finished);
  }

  /** A finished sweep keeps its table: the strategy listing reads the best configuration from here. */
  private async result(id: string) {
    const report = await this.report(id);
    const best = report.configurations[0]?.rank === 1 ? report.configurations[0] : null;
    return {
      model_version: null,
      objective: report.objective,
      direction: report.direction,
      best: best && { configuration_id: best.configurationId, params: best.params, value: best.mean, std: best.std, seeds: best.completed },
      configurations: tableToJson(report.configurations),
    };
  }

  private async trials(sweep: Operation, plan: SweepPlan): Promise<TrialRecord[]> {
    const children = await findChildren(this.deps.operations, sweep);
    const refused: RefusedTrials = this.runs.state(sweep.id) ?? new Map();
    const byKey = new Map(children.map((child) => [trialKey(child.request.params ?? {}, child.request.seed ?? null), child]));
    const trials: TrialRecord[] = [];
    let index = 0;
    for (const configuration of plan.configurations) {
      for (const seed of plan.seeds) {
        const child = byKey.get(trialKey(configuration.params, seed)) ?? (seed === null ? lookupAnySeed(children, configuration) : undefined);
        const error = refused.get(index++);
        trials.push(await this.trial(configuration, seed, child, error, plan.objective));
      }
    }
    return trials;
  }

  private async trial(
    configuration: Configuration,
    seed: number | null,
    child: Operation | undefined,
    refused: OperationError | undefined,
    objective: Objective,
  ): Promise<TrialRecord> {
    const base = { configurationId: configuration.id, seed: seed ?? (child?.request.seed as number | undefined) ?? 0 };
    if (child === undefined) {
      return { ...base, operationId: null, status: refused ? 'failed' : 'queued', value: null, modelVersion: null, error: refused ?? null };
    }
    const value = child.status === 'completed' ? trialValue(objective, child, await this.deps.operations.metrics(child.id)) : null;
    return { ...base, operationId: child.id, status: child.status, value, modelVersion: child.result?.model_version ?? null, error: child.error };
  }
}

/** A trial without a swept seed trains with the strategy's own seed, which the child's request records. */
function lookupAnySeed(children: readonly Operation[], configuration: Configuration): Operation | undefined {
  const params = JSON.stringify(configuration.params);
  return children.find((child) => JSON.stringify(child.request.params ?? {}) === params);
}

function trialKey(params: unknown, seed: unknown): string {
  return `${JSON.stringify(params)}|${typeof seed === 'number' ? seed : 'strategy'}`;
}

function planOf(sweep: Operation): SweepPlan {
  const request = sweep.request as { configurations?: Configuration[]; seeds?: (number | null)[]; objective?: Objective };
  return { configurations: request.configurations ?? [], seeds: request.seeds ?? [null], objective: request.objective ?? 'val_loss' };
}
