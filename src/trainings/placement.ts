import type { Executor } from '../execution/executor.js';
import { selectExecution } from '../execution/selection.js';
import { toOperationError, type ExecutionMode, type ExecutionRecord, type Operation, type OperationError } from '../operations/operation.js';
import type { OperationStore } from '../operations/operation-store.js';
import type { Logger } from '../util/logger.js';
import type { LaunchOptions, Retarget, RunRecorder, TrackedRun } from './run-recorder.js';
import type { TrainingHosts } from './training-hosts.js';

/** A run is re-targeted at most this many times: hosts dying one after another should end in a failure, not a loop. */
const MAX_RETARGETS = 3;

export interface PlacementDeps {
  readonly operations: OperationStore;
  /** Local execution (worker threads of this process). */
  readonly local: Executor;
  readonly hosts?: TrainingHosts;
  readonly recorder: RunRecorder;
  /** True once the service is closing: nothing is placed again then. */
  readonly closing: () => boolean;
  readonly logger: Logger;
}

/** Where a run executes: chosen for a request, and chosen again when the chosen host could not be reached to start it. */
export class Placement {
  constructor(private readonly deps: PlacementDeps) {}

  /** Health is checked only when a host could be chosen; a local request, or a backend without hosts, costs nothing. */
  async select(mode: ExecutionMode, requireGpu: boolean): Promise<ExecutionRecord> {
    const hosts = this.deps.hosts;
    const candidates = hosts !== undefined && !hosts.isEmpty && mode !== 'local' ? await hosts.candidates() : [];
    return selectExecution({ mode, requireGpu }, this.deps.local, candidates);
  }

  /**
   * A host that lost a run is not trusted with its resume: its last health check may predate its death by a few
   * seconds, and a resumed run cannot move on if its start does not reach the host. Until its next health check,
   * selection leaves it out.
   */
  distrust(hostUrl: string, reason: string): void {
    this.deps.hosts?.reportUnreachable(hostUrl, reason);
  }

  /** Hands the job to the executor its execution record names, and has the recorder follow it. */
  launch(operation: Operation, execution: ExecutionRecord, retarget: Retarget, options: Pick<LaunchOptions, 'progressFloor'> = {}): void {
    const { recorder, local, hosts } = this.deps;
    if (execution.selected === 'host') {
      const target = hosts!.executor(execution.host!);
      recorder.launch(operation, (observer) => target.submit(retarget.job, observer), { ...options, hostUrl: execution.host, retarget });
    } else {
      recorder.launch(operation, (observer) => local.submit(retarget.job, observer), options);
    }
  }

  /**
   * The chosen host could not be reached to start the run (it died after its last health check): choose again
   * without it, as a new request would, and record why on the operation. False when the run cannot move (it was
   * cancelled, the server is closing, or it moved too often), and the failure stands.
   */
  async replace(id: string, run: TrackedRun, error: OperationError): Promise<boolean> {
    const { operations, logger } = this.deps;
    const previous = run.retarget;
    const hostUrl = run.hostUrl;
    if (previous === undefined || hostUrl === undefined || this.deps.closing() || run.cancelRequested) return false;
    this.deps.hosts?.reportUnreachable(hostUrl, error.message);
    const operation = await operations.get(id);
    if (operation.status !== 'pending' || previous.tried.length >= MAX_RETARGETS) return false;
    let chosen: ExecutionRecord;
    try {
      chosen = await this.select(previous.mode, previous.requireGpu);
    } catch (refusal) {
      await operations.markFailed(id, toOperationError(refusal, 'HOST_UNAVAILABLE'));
      return true;
    }
    const execution: ExecutionRecord = { ...chosen, reason: `${hostUrl} could not be reached to start the run; chose again: ${chosen.reason}` };
    await operations.setExecution(id, execution);
    logger.warn({ operation_id: id, host: hostUrl, execution }, `training ${id}: ${execution.reason}`);
    this.launch({ ...operation, execution }, execution, { ...previous, tried: [...previous.tried, hostUrl] });
    return true;
  }
}
