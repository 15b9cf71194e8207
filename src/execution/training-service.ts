import { randomBytes } from 'node:crypto';
import { access, readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { parseStrategy } from '../config/strategy.js';
import { resolveStrategyName } from '../config/strategy-files.js';
import { dataFileName } from '../data/names.js';
import { KtrdrError, isKtrdrError } from '../errors.js';
import { requiredTimeframes } from '../features/index.js';
import type { ModelStore } from '../models/model-store.js';
import { toOperationError, type ExecutionMode, type ExecutionRecord, type Operation, type OperationError } from '../operations/operation.js';
import type { OperationStore } from '../operations/operation-store.js';
import { sha256Hex, type ModelArtifact } from '../training/artifact.js';
import { applyOverrides, type StrategyOverrides } from '../training/overrides.js';
import type { Logger } from '../util/logger.js';
import type { LogRecord } from '../util/logger.js';
import { ExecutionDefaults } from './execution-defaults.js';
import type { Executor, RemoteRunControl, RunHandle, RunObserver, RunOutcome, TrainingJob } from './executor.js';
import type { AttachRequest } from './remote/remote-host-executor.js';
import { trainingResultSummary } from './result-summary.js';
import { selectExecution, type HostCandidate } from './selection.js';

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
  /** Local execution (worker threads of this process). */
  readonly executor: Executor;
  /** Training hosts; without them every run is local. */
  readonly hosts?: TrainingHosts;
  /** The runtime default execution mode. @defaultValue auto, unchangeable from outside */
  readonly defaults?: ExecutionDefaults;
  readonly strategiesDir: string;
  /** When set, a start whose data files are missing is refused (404 DATA_NOT_FOUND) before anything is created. */
  readonly dataDir?: string;
  readonly logger: Logger;
  readonly now?: () => Date;
}

/** What the service needs of the training hosts (`HostPool` in production). */
export interface TrainingHosts {
  /** Every known host with fresh-enough health; checking is bounded by a short timeout per host. */
  candidates(): Promise<HostCandidate[]>;
  /** True when no host is configured or registered: selection then needs no health check at all. */
  readonly isEmpty: boolean;
  executor(url: string): Executor & { attach(request: AttachRequest, observer?: RunObserver): RunHandle };
  /** Lets the host forget a run whose result is stored (or that ended without one). */
  acknowledge(hostUrl: string, operationId: string): Promise<void>;
  /** A start could not reach the host: count it as unhealthy now rather than at the next health check. */
  reportUnreachable(hostUrl: string, reason: string): void;
  /** Shutdown: stop following dispatched runs without cancelling them; returns their operation ids. */
  detachDispatched(): string[];
  close(): Promise<void>;
}

/** The answer to a host pushing a run's artifact. */
export interface PushedResult {
  readonly operation_id: string;
  readonly model_strategy: string;
  readonly model_version: number;
  /** False when the version already existed (a repeated push, or the pull got there first). */
  readonly created: boolean;
  /** True when the operation had failed with HOST_LOST and the model was recovered. */
  readonly recovered: boolean;
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
  /** Base URL of the training host, for runs there. */
  hostUrl?: string;
  /** For a fresh host run: enough to choose again if the host cannot be reached to start it. */
  retarget?: Retarget;
}

/** A host run that never reached its host may go elsewhere; this is what choosing again needs. */
interface Retarget {
  readonly job: TrainingJob;
  readonly mode: ExecutionMode;
  readonly requireGpu: boolean;
  /** Hosts already tried and found unreachable at dispatch. */
  readonly tried: readonly string[];
}

/** A run is re-targeted at most this many times: hosts dying one after another should end in a failure, not a loop. */
const MAX_RETARGETS = 3;

/**
 * Trainings as operations: validates a request, records the operation, hands the job to the executor, streams what
 * the run reports into the operation store, and on success writes the model version (idempotently, per operation)
 * before marking the operation completed. Every state change goes through the store's guarded transitions, so a
 * late or racing report can never overwrite a terminal status.
 */
export class TrainingService {
  private readonly runs = new Map<string, ActiveRun>();
  /** Runs that failed with HOST_LOST and whose host may still come back with the result. */
  private readonly lostRuns = new Map<string, RemoteRunControl>();
  /** Recoveries in progress, so a push and the watcher arriving together save and log once. */
  private readonly recovering = new Map<string, Promise<PushedResult>>();
  /** Acknowledgements to hosts in flight; close waits for them (each is bounded by a request timeout). */
  private readonly acks = new Set<Promise<void>>();
  private readonly defaults: ExecutionDefaults;
  private readonly now: () => Date;
  private closing = false;

  constructor(private readonly deps: TrainingServiceDeps) {
    this.now = deps.now ?? (() => new Date());
    this.defaults = deps.defaults ?? new ExecutionDefaults();
  }

  /** The default execution mode used when a request names none. */
  defaultExecutionMode(): ExecutionMode {
    return this.defaults.get();
  }

  /** Changes the default execution mode until the next change or restart; returns the current and previous one. */
  setDefaultExecutionMode(mode: ExecutionMode): { current: ExecutionMode; previous: ExecutionMode } {
    const previous = this.defaults.set(mode);
    this.deps.logger.info({ previous, current: mode }, `default execution mode changed from ${previous} to ${mode}`);
    return { current: mode, previous };
  }

  /**
   * Validates everything that can be checked before a run (name, strategy, data files, execution target) so a bad
   * request fails with nothing recorded, then creates the operation `pending` and queues it.
   */
  async start(params: StartTrainingParams): Promise<Operation> {
    if (this.closing) throw new KtrdrError('INTERNAL', 'the server is shutting down; no new trainings are accepted');
    const { operations, logger } = this.deps;
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
    const mode = params.executionMode ?? this.defaults.get();
    const execution = await this.selectTarget(mode, params.requireGpu ?? false);

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
        execution_mode: mode,
        require_gpu: params.requireGpu ?? false,
        strategy_file: basename(file),
        strategy_sha256: sha256Hex(effectiveYaml),
      },
      execution,
    });
    const fellBack = mode === 'host' && execution.selected === 'local';
    logger[fellBack ? 'warn' : 'info']({ operation_id: operation.id, strategy: strategy.name, execution }, `training ${operation.id} queued (${execution.reason})`);
    const job: TrainingJob = { operationId: operation.id, strategyYaml: text, strategySource: file, overrides, seed: params.seed };
    const retarget: Retarget = { job, mode, requireGpu: params.requireGpu ?? false, tried: [] };
    this.launchJob(operation, execution, retarget);
    return operation;
  }

  private launchJob(operation: Operation, execution: ExecutionRecord, retarget: Retarget): void {
    if (execution.selected === 'host') {
      const target = this.deps.hosts!.executor(execution.host!);
      this.launch(operation, execution.host, (observer) => target.submit(retarget.job, observer), false, retarget);
    } else {
      this.launch(operation, undefined, (observer) => this.deps.executor.submit(retarget.job, observer));
    }
  }

  /**
   * The chosen host could not be reached to start the run (it died after its last health check): choose again
   * without it, as a new request would, and record why on the operation. False when the run cannot move (it was
   * cancelled, the server is closing, or it moved too often), and the failure stands.
   */
  private async retarget(id: string, run: ActiveRun, error: OperationError): Promise<boolean> {
    const { operations, logger } = this.deps;
    const previous = run.retarget;
    const hostUrl = run.hostUrl;
    if (previous === undefined || hostUrl === undefined || this.closing || run.cancelRequested) return false;
    this.deps.hosts?.reportUnreachable(hostUrl, error.message);
    const operation = await operations.get(id);
    if (operation.status !== 'pending' || previous.tried.length >= MAX_RETARGETS) return false;
    let chosen: ExecutionRecord;
    try {
      chosen = await this.selectTarget(previous.mode, previous.requireGpu);
    } catch (refusal) {
      await operations.markFailed(id, toOperationError(refusal, 'HOST_UNAVAILABLE'));
      return true;
    }
    const execution: ExecutionRecord = { ...chosen, reason: `${hostUrl} could not be reached to start the run; chose again: ${chosen.reason}` };
    await operations.setExecution(id, execution);
    logger.warn({ operation_id: id, host: hostUrl, execution }, `training ${id}: ${execution.reason}`);
    this.launchJob({ ...operation, execution }, execution, { ...previous, tried: [...previous.tried, hostUrl] });
    return true;
  }

  /** Health is checked only when a host could be chosen; a local request, or a backend without hosts, costs nothing. */
  private async selectTarget(mode: ExecutionMode, requireGpu: boolean): Promise<ExecutionRecord> {
    const hosts = this.deps.hosts;
    const candidates = hosts !== undefined && !hosts.isEmpty && mode !== 'local' ? await hosts.candidates() : [];
    return selectExecution({ mode, requireGpu }, this.deps.executor, candidates);
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

  /**
   * Start-up recovery with training hosts: runs on a host that were dispatched (they have a remote reference) are
   * re-attached and followed to their end, so their model is still saved; everything else a previous process left
   * unfinished fails as INTERRUPTED.
   */
  async resumeAfterRestart(): Promise<{ interrupted: Operation[]; reattached: Operation[] }> {
    const { operations, logger } = this.deps;
    const hosts = this.deps.hosts;
    const reattachable = (operation: Operation): boolean => hosts !== undefined && operation.execution.selected === 'host' && operation.remote !== null;
    const interrupted = await operations.failInterrupted((operation) => !reattachable(operation));
    for (const operation of interrupted) logger.warn({ operation_id: operation.id }, `operation ${operation.id} was interrupted by a restart`);
    const reattached: Operation[] = [];
    for (const operation of await operations.listUnfinished({ selected: 'host' })) {
      if (!reattachable(operation)) continue;
      const remote = operation.remote!;
      const attach: AttachRequest = {
        operationId: operation.id,
        cursor: typeof remote.cursor === 'number' ? remote.cursor : 0,
        started: operation.status !== 'pending',
        cancelRequested: operation.status === 'cancelling',
      };
      const executor = hosts!.executor(remote.host_url);
      this.launch(operation, remote.host_url, (observer) => executor.attach(attach, observer), attach.cancelRequested);
      reattached.push(operation);
      logger.info({ operation_id: operation.id, host: remote.host_url }, `training ${operation.id} re-attached to its run on ${remote.host_url}`);
    }
    return { interrupted, reattached };
  }

  /**
   * A host pushing a run's artifact (`POST /trainings/{id}/result`). Idempotent on the operation id: the model is
   * written once, and a repeat answers with the version already saved. A run this process follows gets the artifact
   * and the answer waits until it is stored; a run that failed with HOST_LOST is recovered.
   */
  async receivePushedResult(id: string, artifact: ModelArtifact): Promise<PushedResult> {
    const { operations } = this.deps;
    const before = await operations.get(id);
    checkArtifactBelongs(artifact, before);
    if (before.execution.selected !== 'host') {
      throw new KtrdrError('CONFLICT', `operation ${id} did not run on a training host`, { details: { id, execution: before.execution } });
    }
    const existing = savedVersion(before);
    if (existing !== null) return { operation_id: id, model_strategy: artifact.strategy_name, model_version: existing, created: false, recovered: before.status === 'failed' };

    const run = this.runs.get(id);
    if (run !== undefined) {
      const taken = run.handle.remote?.deliverResult(artifact) ?? false;
      await run.finished;
      const after = await operations.get(id);
      const version = savedVersion(after);
      if (version !== null) return { operation_id: id, model_strategy: artifact.strategy_name, model_version: version, created: taken, recovered: after.status === 'failed' };
      return this.recoverOrRefuse(after, artifact);
    }
    return this.recoverOrRefuse(before, artifact);
  }

  private async recoverOrRefuse(operation: Operation, artifact: ModelArtifact): Promise<PushedResult> {
    if (operation.status === 'failed' && operation.error?.code === 'HOST_LOST') {
      // The watcher of this run must not recover it a second time.
      const watcher = this.lostRuns.get(operation.id);
      this.lostRuns.delete(operation.id);
      watcher?.deliverResult(artifact);
      return this.recoverLostResult(operation.id, artifact);
    }
    if (operation.status === 'completed' || operation.status === 'failed' || operation.status === 'cancelled') {
      throw new KtrdrError('OPERATION_FINISHED', `operation ${operation.id} ended ${operation.status}; its result is not kept`, {
        details: { id: operation.id, status: operation.status },
      });
    }
    throw new KtrdrError('CONFLICT', `operation ${operation.id} is ${operation.status} but not followed by this server; its result will be fetched from the host`, {
      details: { id: operation.id, status: operation.status },
    });
  }

  /**
   * A run that failed with HOST_LOST turned up finished after all: save its model (once) and attach the result to
   * the operation, which stays `failed` (see `OperationStore.attachRecoveredResult`), then let the host forget it.
   */
  private recoverLostResult(id: string, artifact: ModelArtifact): Promise<PushedResult> {
    let recovery = this.recovering.get(id);
    if (recovery === undefined) {
      recovery = this.recoverNow(id, artifact).finally(() => this.recovering.delete(id));
      this.recovering.set(id, recovery);
    }
    return recovery;
  }

  private async recoverNow(id: string, artifact: ModelArtifact): Promise<PushedResult> {
    const { operations, models, logger } = this.deps;
    const operation = await operations.get(id);
    checkArtifactBelongs(artifact, operation);
    const existing = savedVersion(operation);
    if (existing !== null) return { operation_id: id, model_strategy: artifact.strategy_name, model_version: existing, created: false, recovered: true };
    // Checked before the save: a model must never be written for an operation that will not point to it.
    if (operation.status !== 'failed' || operation.error?.code !== 'HOST_LOST') {
      throw new KtrdrError('OPERATION_FINISHED', `operation ${id} is ${operation.status}; only a run lost with its host is recovered`, {
        details: { id, status: operation.status },
      });
    }
    const saved = await models.save(artifact);
    const hostUrl = operation.remote?.host_url ?? operation.execution.host;
    await operations.attachRecoveredResult(id, { ...trainingResultSummary(artifact, saved.version), recovered: true, recovered_at: this.now().toISOString() });
    const line: LogRecord = {
      time: this.now().getTime(),
      level: 'warn',
      msg: `Recovered the model from ${hostUrl ?? 'the training host'} after the host was lost: ${artifact.strategy_name} v${saved.version}`,
    };
    await operations.appendLogs(id, [line]);
    logger.warn({ operation_id: id, model_version: saved.version, host: hostUrl }, `training ${id}: ${line.msg}`);
    if (hostUrl !== undefined) this.acknowledge(id, hostUrl);
    return { operation_id: id, model_strategy: artifact.strategy_name, model_version: saved.version, created: saved.created, recovered: true };
  }

  /** Resolves when the given operation's run (if this process runs it) has reached its terminal status. */
  async whenFinished(id: string): Promise<void> {
    // A run that moved to another target is replaced in the map under the same id: follow it to the end.
    for (let run = this.runs.get(id); run !== undefined; run = this.runs.get(id)) await run.finished;
  }

  /**
   * Stops accepting work and waits until every run of this process has been recorded as ended. Local runs and jobs
   * still waiting for a host are cancelled; runs already on a training host keep running there and are left
   * `running` with their remote reference, for the next start to re-attach (a restart must not cost a host's work).
   */
  async close(reason = 'the server shut down'): Promise<void> {
    this.closing = true;
    const detached = new Set(this.deps.hosts?.detachDispatched() ?? []);
    if (detached.size > 0) this.deps.logger.info({ operations: [...detached] }, `${detached.size} run(s) left running on training hosts; the next start re-attaches them`);
    const ending = [...this.runs.entries()].filter(([id]) => !detached.has(id));
    for (const [id] of ending) await this.cancel(id, reason).catch(() => undefined);
    await this.deps.executor.close();
    await this.deps.hosts?.close();
    await Promise.all(ending.map(([, run]) => run.finished));
    await Promise.all([...this.acks]);
  }

  private launch(operation: Operation, hostUrl: string | undefined, submit: (observer: RunObserver) => RunHandle, cancelRequested = false, retarget?: Retarget): void {
    const id = operation.id;
    // Registered before submitting: the executor may start the job (and call onStart) inside `submit`.
    const run: ActiveRun = { handle: NOT_SUBMITTED, cancelRequested, writes: Promise.resolve(), finished: Promise.resolve(), hostUrl, retarget };
    this.runs.set(id, run);
    const enqueue: Enqueue = (write, what) => {
      run.writes = run.writes.then(write).then(
        () => undefined,
        (error: unknown) => this.logWriteError(id, what, error),
      );
    };
    try {
      run.handle = submit(this.observerFor(operation, run, enqueue));
    } catch (error) {
      this.runs.delete(id);
      void this.deps.operations.markFailed(id, toOperationError(error, 'INTERNAL')).catch((e: unknown) => this.logWriteError(id, 'finish', e));
      throw error;
    }
    run.finished = run.handle.outcome
      .then((outcome) => {
        // Decided when the outcome arrives: a cancel requested after this point meets a model already being saved.
        const discard = outcome.status === 'completed' && run.cancelRequested;
        enqueue(() => this.finish(id, discard ? { status: 'cancelled', started: true } : outcome, run), 'finish');
        return run.writes;
      })
      .finally(() => {
        if (this.runs.get(id) === run) this.runs.delete(id);
      });
  }

  /** Turns what a run reports into store writes, queued in report order. */
  private observerFor(operation: Operation, run: ActiveRun, enqueue: Enqueue): RunObserver {
    const { operations } = this.deps;
    const id = operation.id;
    return {
      onStart: ({ device }) => {
        enqueue(async () => {
          try {
            await operations.markRunning(id, { execution: { ...operation.execution, device } });
          } catch (error) {
            if (!isKtrdrError(error) || (error.code !== 'OPERATION_FINISHED' && error.code !== 'CONFLICT')) throw error;
            // A re-attached run that was already running before the restart: nothing to change.
            const current = await operations.get(id);
            if (current.status === 'running' || current.status === 'cancelling') return;
            // Cancelled while it waited for its slot: the run must not go on.
            run.cancelRequested = true;
            run.handle.cancel();
          }
        }, 'markRunning');
      },
      onRemote: (ref) => enqueue(() => operations.setRemote(id, ref), 'remote'),
      onProgress: (progress) => enqueue(() => operations.recordProgress(id, progress), 'progress'),
      onLogs: (records) => enqueue(() => operations.appendLogs(id, records), 'logs'),
      onEpochs: (records) =>
        enqueue(async () => {
          await operations.appendMetrics(id, records.map((record) => ({ ...record })));
        }, 'metric'),
    };
  }

  private async finish(id: string, outcome: RunOutcome, run: ActiveRun): Promise<void> {
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
        // Only now, with the version on disk and recorded, may the host forget the result.
        if (run.hostUrl !== undefined) this.acknowledge(id, run.hostUrl);
        return;
      }
      case 'cancelled':
        await this.recordCancelled(id);
        logger.info({ operation_id: id }, `training ${id} cancelled`);
        if (run.hostUrl !== undefined) this.acknowledge(id, run.hostUrl);
        return;
      case 'failed': {
        if (outcome.error.code === 'HOST_UNAVAILABLE' && (await this.retarget(id, run, outcome.error))) return;
        const failed = await operations.markFailed(id, outcome.error);
        logger.warn({ operation_id: id, error: outcome.error }, `training ${id} ${failed.status}: [${outcome.error.code}] ${outcome.error.message}`);
        // A run lost while being cancelled ends `cancelled`: the user wanted it stopped, so nothing is recovered.
        if (outcome.error.code === 'HOST_LOST' && failed.status === 'failed') this.watchLostRun(id, run);
        // HOST_UNAVAILABLE: the start never reached the host, so there is nothing there to forget.
        else if (run.hostUrl !== undefined && outcome.error.code !== 'HOST_UNAVAILABLE' && outcome.error.code !== 'HOST_LOST') this.acknowledge(id, run.hostUrl);
        return;
      }
      default: {
        const unknown: never = outcome;
        throw new Error(`unknown run outcome ${JSON.stringify(unknown)}`);
      }
    }
  }

  /** After HOST_LOST the host may come back with the finished run; its executor watches, and we recover what it finds. */
  private watchLostRun(id: string, run: ActiveRun): void {
    const control = run.handle.remote;
    if (control === undefined) return;
    this.lostRuns.set(id, control);
    void control.recovered.then(async (artifact) => {
      // A push got there first (it removed the entry) or the watch ended empty.
      if (this.lostRuns.get(id) !== control) return;
      this.lostRuns.delete(id);
      if (artifact === null) return;
      await this.recoverLostResult(id, artifact).catch((error: unknown) =>
        this.deps.logger.error({ operation_id: id, err: error }, `training ${id}: recovering the model after HOST_LOST failed`),
      );
    });
  }

  /** Lets the host forget a finished run; best effort, logged, and bounded by the executor's request timeout. */
  private acknowledge(id: string, hostUrl: string): void {
    const hosts = this.deps.hosts;
    if (hosts === undefined) return;
    const ack = hosts.acknowledge(hostUrl, id).catch((error: unknown) =>
      this.deps.logger.warn({ operation_id: id, host: hostUrl, err: error }, `training ${id}: acknowledging the result to ${hostUrl} failed; the host keeps it until its retention ends`),
    );
    this.acks.add(ack);
    void ack.finally(() => this.acks.delete(ack));
  }

  private async saveModel(id: string, artifact: ModelArtifact): Promise<{ version: number } | { error: OperationError }> {
    try {
      const operation = await this.deps.operations.get(id);
      checkArtifactBelongs(artifact, operation);
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

/** A result must be this operation's run of this strategy; anything else is refused before it reaches the model store. */
function checkArtifactBelongs(artifact: ModelArtifact, operation: Operation): void {
  if (artifact.manifest.operation_id !== operation.id || artifact.strategy_name !== operation.strategy) {
    throw new KtrdrError('VALIDATION_FAILED', `the artifact (operation ${String(artifact.manifest.operation_id)}, strategy ${artifact.strategy_name}) does not belong to operation ${operation.id} of strategy ${operation.strategy}`, {
      details: { operation_id: operation.id, strategy: operation.strategy, artifact_operation_id: artifact.manifest.operation_id, artifact_strategy: artifact.strategy_name },
    });
  }
}

/** The model version an operation recorded (completed, or recovered after HOST_LOST), or null. */
function savedVersion(operation: Operation): number | null {
  const version = operation.result?.model_version;
  return typeof version === 'number' ? version : null;
}

/** `op_training_20250117_120000_ab12cd34`: sortable by time at a glance, unique by its random tail. */
export function newOperationId(now: Date): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', '_').slice(0, 15);
  return `op_training_${stamp}_${randomBytes(4).toString('hex')}`;
}
