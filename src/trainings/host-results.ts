import { KtrdrError } from '../errors.js';
import type { RemoteRunControl } from '../execution/executor.js';
import type { Operation } from '../operations/operation.js';
import type { OperationStore } from '../operations/operation-store.js';
import type { ModelArtifact } from '../training/artifact.js';
import type { LogRecord, Logger } from '../util/logger.js';
import { checkArtifactBelongs, savedVersion, type ModelWriter } from './model-writer.js';
import { trainingResultSummary } from './result-summary.js';
import type { TrainingHosts } from './training-hosts.js';

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

/** What host results need of a run this process follows. */
export interface FollowedRun {
  readonly handle: { readonly remote?: RemoteRunControl };
  readonly finished: Promise<void>;
}

export interface HostResultsDeps {
  readonly operations: OperationStore;
  readonly writer: ModelWriter;
  readonly hosts?: TrainingHosts;
  /** The run this process follows for an operation, if any. */
  readonly followed: (id: string) => FollowedRun | undefined;
  readonly logger: Logger;
  readonly now: () => Date;
}

/**
 * Artifacts that come from training hosts outside a run's normal end: pushed by the host, or found after the host was
 * lost (HOST_LOST) and came back. Each is written once per operation; once stored, the host is told to forget it.
 */
export class HostResults {
  /** Runs that failed with HOST_LOST and whose host may still come back with the result. */
  private readonly lostRuns = new Map<string, RemoteRunControl>();
  /** Recoveries in progress, so a push and the watcher arriving together save and log once. */
  private readonly recovering = new Map<string, Promise<PushedResult>>();
  /** Acknowledgements to hosts in flight; close waits for them (each is bounded by a request timeout). */
  private readonly acks = new Set<Promise<void>>();

  constructor(private readonly deps: HostResultsDeps) {}

  /**
   * A host pushing a run's artifact (`POST /trainings/{id}/result`). Idempotent on the operation id: the model is
   * written once, and a repeat answers with the version already saved. A run this process follows gets the artifact
   * and the answer waits until it is stored; a run that failed with HOST_LOST is recovered.
   */
  async receivePushed(id: string, artifact: ModelArtifact): Promise<PushedResult> {
    const { operations } = this.deps;
    const before = await operations.get(id);
    checkArtifactBelongs(artifact, before);
    if (before.execution.selected !== 'host') {
      throw new KtrdrError('NOT_A_HOST_RUN', `operation ${id} did not run on a training host`, { details: { id, execution: before.execution } });
    }
    const existing = savedVersion(before);
    if (existing !== null) return pushed(id, artifact, existing, false, before.status === 'failed');

    const run = this.deps.followed(id);
    if (run !== undefined) {
      const taken = run.handle.remote?.deliverResult(artifact) ?? false;
      await run.finished;
      const after = await operations.get(id);
      const version = savedVersion(after);
      if (version !== null) return pushed(id, artifact, version, taken, after.status === 'failed');
      return this.recoverOrRefuse(after, artifact);
    }
    return this.recoverOrRefuse(before, artifact);
  }

  /** After HOST_LOST the host may come back with the finished run; its executor watches, and we recover what it finds. */
  watchLostRun(id: string, control: RemoteRunControl): void {
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
  acknowledge(id: string, hostUrl: string): void {
    const hosts = this.deps.hosts;
    if (hosts === undefined) return;
    const ack = hosts
      .acknowledge(hostUrl, id)
      .catch((error: unknown) =>
        this.deps.logger.warn(
          { operation_id: id, host: hostUrl, err: error },
          `training ${id}: acknowledging the result to ${hostUrl} failed; the host keeps it until its retention ends`,
        ),
      );
    this.acks.add(ack);
    void ack.finally(() => this.acks.delete(ack));
  }

  /** Waits for the acknowledgements in flight. */
  async close(): Promise<void> {
    await Promise.all([...this.acks]);
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
    throw new KtrdrError(
      'RESULT_NOT_READY',
      `operation ${operation.id} is ${operation.status} but not followed by this server; its result will be fetched from the host`,
      {
        details: { id: operation.id, status: operation.status },
      },
    );
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
    const { operations, writer, logger, now } = this.deps;
    const operation = await operations.get(id);
    checkArtifactBelongs(artifact, operation);
    const existing = savedVersion(operation);
    if (existing !== null) return pushed(id, artifact, existing, false, true);
    // Checked before the save: a model must never be written for an operation that will not point to it.
    if (operation.status !== 'failed' || operation.error?.code !== 'HOST_LOST') {
      throw new KtrdrError('OPERATION_FINISHED', `operation ${id} is ${operation.status}; only a run lost with its host is recovered`, {
        details: { id, status: operation.status },
      });
    }
    const saved = await writer.save(operation, artifact);
    const hostUrl = operation.remote?.host_url ?? operation.execution.host;
    await operations.attachRecoveredResult(id, {
      ...trainingResultSummary(artifact, saved.version),
      recovered: true,
      recovered_at: now().toISOString(),
    });
    const line: LogRecord = {
      time: now().getTime(),
      level: 'warn',
      msg: `Recovered the model from ${hostUrl ?? 'the training host'} after the host was lost: ${artifact.strategy_name} v${saved.version}`,
    };
    await operations.appendLogs(id, [line]);
    logger.warn({ operation_id: id, model_version: saved.version, host: hostUrl }, `training ${id}: ${line.msg}`);
    if (hostUrl !== undefined) this.acknowledge(id, hostUrl);
    return pushed(id, artifact, saved.version, saved.created, true);
  }
}

function pushed(id: string, artifact: ModelArtifact, version: number, created: boolean, recovered: boolean): PushedResult {
  return { operation_id: id, model_strategy: artifact.strategy_name, model_version: version, created, recovered };
}
