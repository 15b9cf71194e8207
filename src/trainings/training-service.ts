import type { CheckpointStore } from '../checkpoints/checkpoint-store.js';
import { KtrdrError } from '../errors.js';
import type { HostCheckpoint } from '../contracts/trainings.js';
import type { Executor } from '../execution/executor.js';
import type { ModelStore } from '../models/model-store.js';
import type { ExecutionMode, Operation } from '../operations/operation.js';
import type { OperationStore } from '../operations/operation-store.js';
import type { ModelArtifact } from '../training/artifact.js';
import { FileDigests } from '../util/file-digests.js';
import type { Logger } from '../util/logger.js';
import { ExecutionDefaults } from './execution-defaults.js';
import { HostResults, type PushedResult } from './host-results.js';
import { KeptModels } from './kept-models.js';
import { ModelSpool } from './model-spool.js';
import { ModelWriter } from './model-writer.js';
import { newOperationId } from './operation-id.js';
import { Placement } from './placement.js';
import { requestRecord, resolveTraining, type ResolvedTraining, type StartTrainingParams } from './request-resolution.js';
import { failInterrupted, resumeAfterRestart } from './restart-recovery.js';
import { PushedCheckpoints } from './pushed-checkpoints.js';
import { Resumption } from './resumption.js';
import { RunRecorder } from './run-recorder.js';
import type { TrainingHosts } from './training-hosts.js';

export type { PushedResult } from './host-results.js';
export type { ResolvedTraining, StartTrainingParams } from './request-resolution.js';
export type { TrainingHosts } from './training-hosts.js';

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
  /** Market data: a start whose data files are missing is refused (404 DATA_NOT_FOUND) before anything is created. */
  readonly dataDir: string;
  /** Shared with the data endpoint, so each file is hashed once. @defaultValue a new cache */
  readonly digests?: FileDigests;
  /**
   * Where trained models wait when the model store cannot take them (disk full, read-only directory), next to the
   * operations database. Undefined: they wait in memory only.
   */
  readonly spoolDir?: string;
  /** How often waiting models are offered to the model store again. @defaultValue 30 s */
  readonly keptModelRetryMs?: number;
  /**
   * Checkpoints of local runs (`KTRDR_HOME/checkpoints`), the same directory the local executor writes them to.
   * Without it nothing can be resumed.
   */
  readonly checkpoints?: CheckpointStore;
  /**
   * Resume a run lost with its training host (HOST_LOST) from the newest checkpoint the host pushed, here, instead of
   * leaving it failed. @defaultValue false
   */
  readonly resumeLostRuns?: boolean;
  readonly logger: Logger;
  readonly now?: () => Date;
}

/**
 * Trainings as operations, in front of the parts that each change for one reason: request resolution (what runs),
 * placement (where), the run recorder (what the run reports → the operation store), host results (artifacts pushed
 * or recovered) and restart recovery.
 */
export class TrainingService {
  private readonly defaults: ExecutionDefaults;
  private readonly digests: FileDigests;
  private readonly now: () => Date;
  private readonly recorder: RunRecorder;
  private readonly placement: Placement;
  private readonly hostResults: HostResults;
  private readonly keptModels: KeptModels;
  private readonly resumption: Resumption | undefined;
  private readonly pushedCheckpoints: PushedCheckpoints | undefined;
  private closing = false;

  constructor(private readonly deps: TrainingServiceDeps) {
    this.now = deps.now ?? (() => new Date());
    this.defaults = deps.defaults ?? new ExecutionDefaults();
    this.digests = deps.digests ?? new FileDigests();
    const { operations, hosts, logger } = deps;
    const writer = new ModelWriter(deps.models, new ModelSpool(deps.spoolDir));
    this.keptModels = new KeptModels({ operations, writer, logger, now: this.now, retryIntervalMs: deps.keptModelRetryMs });
    this.hostResults = new HostResults({ operations, writer, hosts, logger, now: this.now, followed: (id) => this.recorder.get(id) });
    this.recorder = new RunRecorder({
      operations,
      writer,
      hostResults: this.hostResults,
      logger,
      replace: (id, run, error) => this.placement.replace(id, run, error),
      checkpoints: deps.checkpoints,
      ...(deps.resumeLostRuns === true && { resumeLost: (id: string) => this.resumeLost(id) }),
    });
    this.placement = new Placement({ operations, local: deps.executor, hosts, recorder: this.recorder, closing: () => this.closing, logger });
    this.resumption =
      deps.checkpoints &&
      new Resumption({ operations, checkpoints: deps.checkpoints, placement: this.placement, dataDir: deps.dataDir, digests: this.digests, logger });
    this.pushedCheckpoints = deps.checkpoints && new PushedCheckpoints(operations, deps.checkpoints, logger);
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

  /** Local training slots: how many runs this process trains at once (the default parallelism of a sweep). */
  localSlots(): number {
    return this.deps.executor.capacity().slots;
  }

  /** Every check `start` makes of a request, with nothing recorded or started: a sweep checks all its trials first. */
  check(params: StartTrainingParams): Promise<ResolvedTraining> {
    return resolveTraining(params, { strategiesDir: this.deps.strategiesDir, dataDir: this.deps.dataDir, digests: this.digests });
  }

  /**
   * Validates everything that can be checked before a run (name, strategy, data files, execution target) so a bad
   * request fails with nothing recorded, then creates the operation `pending` and queues it.
   */
  async start(params: StartTrainingParams): Promise<Operation> {
    if (this.closing) throw new KtrdrError('SHUTTING_DOWN', 'the server is shutting down; no new trainings are accepted');
    const { operations, logger } = this.deps;
    const resolved = await this.check(params);
    const mode = params.executionMode ?? this.defaults.get();
    const requireGpu = params.requireGpu ?? false;
    const execution = await this.placement.select(mode, requireGpu);
    const operation = await operations.create({
      id: newOperationId(this.now()),
      type: 'training',
      strategy: resolved.strategy.name,
      request: requestRecord(params, resolved, mode, requireGpu),
      execution,
    });
    const fellBack = mode === 'host' && execution.selected === 'local';
    logger[fellBack ? 'warn' : 'info'](
      { operation_id: operation.id, strategy: resolved.strategy.name, execution },
      `training ${operation.id} queued (${execution.reason})`,
    );
    this.placement.launch(operation, execution, { job: { operationId: operation.id, ...resolved.job }, mode, requireGpu, tried: [] });
    return operation;
  }

  /**
   * Asks a run to stop. A pending run is `cancelled` at once; a running one becomes `cancelling` and is `cancelled`
   * when the executor confirms it stopped. Unknown ids are `OPERATION_NOT_FOUND`, finished ones `OPERATION_FINISHED`.
   */
  async cancel(id: string, reason?: string): Promise<Operation> {
    const operation = await this.deps.operations.requestCancel(id, { reason });
    this.recorder.cancel(id, reason);
    return operation;
  }

  /**
   * Continues a failed or cancelled training from its newest checkpoint as the same operation (`resumed` → running).
   * 409 NO_CHECKPOINT when it has none; other statuses are refused as a transition would be.
   */
  async resume(id: string, why = 'resumed on request'): Promise<Operation> {
    if (this.closing) throw new KtrdrError('SHUTTING_DOWN', 'the server is shutting down; nothing is resumed');
    if (this.resumption === undefined) throw new KtrdrError('NO_CHECKPOINT', 'this server keeps no checkpoints', { details: { id } });
    return this.resumption.resume(id, why);
  }

  private async resumeLost(id: string): Promise<void> {
    try {
      await this.resume(id, 'resumed after its host was lost');
    } catch (error) {
      this.deps.logger.warn({ operation_id: id, err: error }, `training ${id} could not be resumed after its host was lost`);
    }
  }

  /** Start-up recovery without hosts: every unfinished operation fails as INTERRUPTED. */
  failInterrupted(): Promise<Operation[]> {
    return failInterrupted(this.deps);
  }

  /**
   * Start-up recovery: runs on training hosts are re-attached, everything else fails as INTERRUPTED, and models kept
   * from runs whose save failed are offered to the model store now and periodically until it takes them. With
   * `autoResume`, interrupted local trainings that have a checkpoint are then resumed (`resumed` → running); the others
   * stay failed.
   */
  async resumeAfterRestart(
    options: { autoResume?: boolean } = {},
  ): Promise<{ interrupted: Operation[]; reattached: Operation[]; resumed: Operation[] }> {
    const recovered = await resumeAfterRestart({
      operations: this.deps.operations,
      hosts: this.deps.hosts,
      recorder: this.recorder,
      logger: this.deps.logger,
    });
    this.keptModels.startRetrying();
    const resumed: Operation[] = [];
    if (options.autoResume === true && this.resumption !== undefined) {
      for (const operation of recovered.interrupted) {
        if (operation.type !== 'training' || !(await this.deps.checkpoints!.has(operation.id))) continue;
        try {
          resumed.push(await this.resumption.resume(operation.id, 'resumed after a restart'));
        } catch (error) {
          this.deps.logger.warn({ operation_id: operation.id, err: error }, `training ${operation.id} could not be resumed after the restart`);
        }
      }
    }
    const resumedIds = new Set(resumed.map((op) => op.id));
    return { interrupted: recovered.interrupted.filter((op) => !resumedIds.has(op.id)), reattached: recovered.reattached, resumed };
  }

  /** Saves the model a failed save left waiting (`ktrdr ops save`); exactly once, whoever asks first. */
  saveKeptModel(id: string): Promise<Operation> {
    return this.keptModels.save(id);
  }

  /** A host pushing a run's artifact (`POST /trainings/{id}/result`); written once per operation. */
  receivePushedResult(id: string, artifact: ModelArtifact): Promise<PushedResult> {
    return this.hostResults.receivePushed(id, artifact);
  }

  /** A host pushing a run's checkpoint (`PUT /operations/{id}/checkpoint`); idempotent by epoch. */
  receivePushedCheckpoint(id: string, epoch: number, bytes: Uint8Array): Promise<{ operation_id: string; epoch: number; bytes: number }> {
    if (this.pushedCheckpoints === undefined) throw new KtrdrError('NO_CHECKPOINT', 'this server keeps no checkpoints', { details: { id } });
    return this.pushedCheckpoints.receive(id, epoch, bytes);
  }

  /** The newest checkpoint of a host run, for the host that resumes it. */
  newestCheckpoint(id: string): Promise<HostCheckpoint> {
    if (this.pushedCheckpoints === undefined) throw new KtrdrError('NO_CHECKPOINT', 'this server keeps no checkpoints', { details: { id } });
    return this.pushedCheckpoints.newest(id);
  }

  /** Resolves when the given operation's run (if this process runs it) has reached its terminal status. */
  whenFinished(id: string): Promise<void> {
    return this.recorder.whenFinished(id);
  }

  /**
   * Stops accepting work and waits until every run of this process has been recorded as ended. Local runs and jobs
   * still waiting for a host are cancelled; runs already on a training host keep running there and are left
   * `running` with their remote reference, for the next start to re-attach (a restart must not cost a host's work).
   */
  async close(reason = 'the server shut down'): Promise<void> {
    this.closing = true;
    this.keptModels.stop();
    const detached = new Set(this.deps.hosts?.detachDispatched() ?? []);
    if (detached.size > 0)
      this.deps.logger.info({ operations: [...detached] }, `${detached.size} run(s) left running on training hosts; the next start re-attaches them`);
    const ending = this.recorder.entries().filter(([id]) => !detached.has(id));
    for (const [id] of ending) await this.cancel(id, reason).catch(() => undefined);
    await this.deps.executor.close();
    await this.deps.hosts?.close();
    await Promise.all(ending.map(([, run]) => run.finished));
    await this.hostResults.close();
  }
}
