import { randomBytes } from 'node:crypto';
import { access, readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { parseStrategy } from '../config/strategy.js';
import { resolveStrategyName } from '../config/strategy-files.js';
import { dataFileName } from '../data/names.js';
import { KtrdrError, isKtrdrError } from '../errors.js';
import { requiredTimeframes } from '../features/index.js';
import type { ModelStore } from '../models/model-store.js';
import { toOperationError, type ExecutionMode, type Operation, type OperationError } from '../operations/operation.js';
import type { OperationStore } from '../operations/operation-store.js';
import { sha256Hex, type ModelArtifact } from '../training/artifact.js';
import { applyOverrides, type StrategyOverrides } from '../training/overrides.js';
import type { Logger } from '../util/logger.js';
import type { Executor, RunHandle, RunOutcome, TrainingJob } from './executor.js';
import { trainingResultSummary } from './result-summary.js';
import { selectExecution } from './selection.js';

export interface StartTrainingParams {
  /** A strategy file stem in the strategies directory (validated; never a path). */
  readonly strategyName: string;
  readonly symbols?: readonly string[];
  readonly timeframes?: readonly string[];
  readonly startDate?: string;
  readonly endDate?: string;
  readonly seed?: number;
  readonly epochs?: number;
  readonly executionMode?: ExecutionMode;
  readonly requireGpu?: boolean;
}

export interface TrainingServiceDeps {
  readonly operations: OperationStore;
  /** The service is the model store's only writer. */
  readonly models: ModelStore;
  readonly executor: Executor;
  readonly strategiesDir: string;
  /** When set, a start whose data files are missing is refused (404 DATA_NOT_FOUND) before anything is created. */
  readonly dataDir?: string;
  readonly logger: Logger;
  readonly now?: () => Date;
}

type Enqueue = (write: () => Promise<unknown>, what: string) => void;

const NOT_SUBMITTED: RunHandle = { outcome: new Promise<never>(() => {}), cancel: () => {} };

interface ActiveRun {
  handle: RunHandle;
  /** Set by `cancel`; an artifact that arrives afterwards is discarded instead of saved. */
  cancelRequested: boolean;
  /** The run's store writes, in report order; the final transition is appended last. */
  writes: Promise<void>;
  /** Resolves once the operation reached its terminal status. */
  finished: Promise<void>;
}

/**
 * Trainings as operations: validates a request, records the operation, hands the job to the executor, streams what
 * the run reports into the operation store, and on success writes the model version (idempotently, per operation)
 * before marking the operation completed. Every state change goes through the store's guarded transitions, so a
 * late or racing report can never overwrite a terminal status.
 */
export class TrainingService {
  private readonly runs = new Map<string, ActiveRun>();
  private readonly now: () => Date;
  private closing = false;

  constructor(private readonly deps: TrainingServiceDeps) {
    this.now = deps.now ?? (() => new Date());
  }

  /**
   * Validates everything that can be checked before a run (name, strategy, data files, execution target) so a bad
   * request fails with nothing recorded, then creates the operation `pending` and queues it.
   */
  async start(params: StartTrainingParams): Promise<Operation> {
    if (this.closing) throw new KtrdrError('INTERNAL', 'the server is shutting down; no new trainings are accepted');
    const { operations, executor, logger } = this.deps;
    const file = await resolveStrategyName(params.strategyName, this.deps.strategiesDir);
    const text = await readFile(file, 'utf8');
    const overrides: Omit<StrategyOverrides, 'seed'> = {
      symbols: params.symbols,
      timeframes: params.timeframes,
      startDate: params.startDate,
      endDate: params.endDate,
      epochs: params.epochs,
    };
    const effectiveYaml = applyOverrides(text, { ...overrides, seed: params.seed });
    const strategy = parseStrategy(effectiveYaml, file, { expectedName: basename(file).replace(/\.ya?ml$/, '') });
    if (this.deps.dataDir !== undefined) await this.requireDataFiles(strategy.trainingData.symbols, requiredTimeframes(strategy));
    const execution = selectExecution({ mode: params.executionMode ?? 'auto', requireGpu: params.requireGpu ?? false }, executor);

    const operation = await operations.create({
      id: newOperationId(this.now()),
      type: 'training',
      strategy: strategy.name,
      request: {
        strategy_name: params.strategyName,
        symbols: [...strategy.trainingData.symbols],
        timeframes: [...strategy.trainingData.timeframes],
        start_date: strategy.trainingData.startDate ?? null,
        end_date: strategy.trainingData.endDate ?? null,
        epochs: strategy.training.epochs,
        seed: strategy.training.seed,
        execution_mode: params.executionMode ?? 'auto',
        require_gpu: params.requireGpu ?? false,
        strategy_file: basename(file),
        strategy_sha256: sha256Hex(effectiveYaml),
      },
      execution,
    });
    logger.info({ operation_id: operation.id, strategy: strategy.name, execution }, `training ${operation.id} queued (${execution.reason})`);
    this.launch(operation, { operationId: operation.id, strategyYaml: text, strategySource: file, overrides, seed: params.seed });
    return operation;
  }

  /**
   * Asks a run to stop. A pending run is `cancelled` at once; a running one becomes `cancelling` and is `cancelled`
   * when the executor confirms it stopped. Unknown ids are `OPERATION_NOT_FOUND`, finished ones `OPERATION_FINISHED`.
   */
  async cancel(id: string, reason?: string): Promise<Operation> {
    const operation = await this.deps.operations.requestCancel(id, { reason });
    const run = this.runs.get(id);
    if (run) {
      run.cancelRequested = true;
      run.handle.cancel(reason);
    }
    return operation;
  }

  /** Start-up recovery: what a previous process left unfinished cannot still be running here. */
  async failInterrupted(): Promise<Operation[]> {
    const failed = await this.deps.operations.failInterrupted();
    for (const operation of failed) this.deps.logger.warn({ operation_id: operation.id }, `operation ${operation.id} was interrupted by a restart`);
    return failed;
  }

  /** Resolves when the given operation's run (if this process runs it) has reached its terminal status. */
  async whenFinished(id: string): Promise<void> {
    await this.runs.get(id)?.finished;
  }

  /** Stops accepting work, cancels every run of this process and waits until each has been recorded as ended. */
  async close(reason = 'the server shut down'): Promise<void> {
    this.closing = true;
    for (const id of [...this.runs.keys()]) await this.cancel(id, reason).catch(() => undefined);
    await this.deps.executor.close();
    await Promise.all([...this.runs.values()].map((run) => run.finished));
  }

  private launch(operation: Operation, job: TrainingJob): void {
    const id = operation.id;
    // Registered before submitting: the executor may start the job (and call onStart) inside `submit`.
    const run: ActiveRun = { handle: NOT_SUBMITTED, cancelRequested: false, writes: Promise.resolve(), finished: Promise.resolve() };
    this.runs.set(id, run);
    const enqueue: Enqueue = (write, what) => {
      run.writes = run.writes.then(write).then(
        () => undefined,
        (error: unknown) => this.logWriteError(id, what, error),
      );
    };
    try {
      run.handle = this.submit(operation, job, run, enqueue);
    } catch (error) {
      this.runs.delete(id);
      void this.deps.operations.markFailed(id, toOperationError(error, 'INTERNAL')).catch((e: unknown) => this.logWriteError(id, 'finish', e));
      throw error;
    }
    run.finished = run.handle.outcome
      .then((outcome) => {
        // Decided when the outcome arrives: a cancel requested after this point meets a model already being saved.
        const discard = outcome.status === 'completed' && run.cancelRequested;
        enqueue(() => this.finish(id, discard ? { status: 'cancelled', started: true } : outcome), 'finish');
        return run.writes;
      })
      .finally(() => this.runs.delete(id));
  }

  /** Hands the job to the executor, turning what it reports into store writes queued in report order. */
  private submit(operation: Operation, job: TrainingJob, run: ActiveRun, enqueue: Enqueue): RunHandle {
    const { operations, executor } = this.deps;
    const id = operation.id;
    return executor.submit(job, {
      onStart: ({ device }) => {
        enqueue(async () => {
          try {
            await operations.markRunning(id, { execution: { ...operation.execution, device } });
          } catch (error) {
            // Cancelled while it waited for its slot: the run must not go on.
            if (!isKtrdrError(error) || (error.code !== 'OPERATION_FINISHED' && error.code !== 'CONFLICT')) throw error;
            run.cancelRequested = true;
            run.handle.cancel();
          }
        }, 'markRunning');
      },
      onProgress: (progress) => enqueue(() => operations.recordProgress(id, progress), 'progress'),
      onLogs: (records) => enqueue(() => operations.appendLogs(id, records), 'logs'),
      onEpochs: (records) =>
        enqueue(async () => {
          for (const record of records) await operations.appendMetric(id, { ...record });
        }, 'metric'),
    });
  }

  private async finish(id: string, outcome: RunOutcome): Promise<void> {
    const { operations, logger } = this.deps;
    switch (outcome.status) {
      case 'completed': {
        const saved = await this.saveModel(id, outcome.artifact);
        if ('error' in saved) {
          await operations.markFailed(id, saved.error);
          return;
        }
        const operation = await operations.markCompleted(id, trainingResultSummary(outcome.artifact, saved.version));
        logger.info({ operation_id: id, model_version: saved.version }, `training ${id} ${operation.status}: ${outcome.artifact.strategy_name} v${saved.version}`);
        return;
      }
      case 'cancelled':
        await this.recordCancelled(id);
        logger.info({ operation_id: id }, `training ${id} cancelled`);
        return;
      case 'failed':
        await operations.markFailed(id, outcome.error);
        logger.warn({ operation_id: id, error: outcome.error }, `training ${id} failed: [${outcome.error.code}] ${outcome.error.message}`);
        return;
      default: {
        const unknown: never = outcome;
        throw new Error(`unknown run outcome ${JSON.stringify(unknown)}`);
      }
    }
  }

  private async saveModel(id: string, artifact: ModelArtifact): Promise<{ version: number } | { error: OperationError }> {
    try {
      const saved = await this.deps.models.save(artifact);
      return { version: saved.version };
    } catch (error) {
      const cause = toOperationError(error, 'INTERNAL');
      this.deps.logger.error({ operation_id: id, err: error }, `training ${id}: saving the model failed`);
      return { error: { code: cause.code, message: `the model could not be saved: ${cause.message}` } };
    }
  }

  /** Brings the operation to `cancelled` from wherever it is (the executor may stop runs nobody asked the store about). */
  private async recordCancelled(id: string): Promise<void> {
    const { operations } = this.deps;
    const current = await operations.get(id);
    if (current.status === 'pending' || current.status === 'running') {
      const after = await operations.requestCancel(id, { reason: 'the run was stopped' });
      if (after.status !== 'cancelling') return;
    } else if (current.status !== 'cancelling') {
      return;
    }
    await operations.confirmCancelled(id);
  }

  private async requireDataFiles(symbols: readonly string[], timeframes: readonly string[]): Promise<void> {
    const missing: string[] = [];
    for (const symbol of symbols) {
      for (const timeframe of timeframes) {
        const file = dataFileName(symbol, timeframe);
        await access(join(this.deps.dataDir!, file)).catch(() => missing.push(file));
      }
    }
    if (missing.length > 0) {
      throw new KtrdrError('DATA_NOT_FOUND', `no data file for ${missing.join(', ')} in ${this.deps.dataDir}`, {
        details: { missing, dir: this.deps.dataDir },
        hint: 'add the CSV files, or generate test data with `ktrdr data synth`',
      });
    }
  }

  private logWriteError(id: string, what: string, error: unknown): void {
    // Progress or logs reported after the operation ended are refused by the store; that is expected, not a fault.
    if (isKtrdrError(error) && error.code === 'OPERATION_FINISHED' && what !== 'finish') return;
    this.deps.logger.error({ operation_id: id, err: error }, `training ${id}: recording ${what} failed`);
  }
}

/** `op_training_20250117_120000_ab12cd34`: sortable by time at a glance, unique by its random tail. */
export function newOperationId(now: Date): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', '_').slice(0, 15);
  return `op_training_${stamp}_${randomBytes(4).toString('hex')}`;
}
