import type { CheckpointStore } from '../checkpoints/checkpoint-store.js';
import { parseStrategy } from '../config/strategy.js';
import { digestSeries } from '../data/series-digests.js';
import { queueOfTarget } from '../execution/queue/queue-protocol.js';
import { KtrdrError } from '../errors.js';
import { requiredTimeframes } from '../features/index.js';
import type { ExecutionRecord, Operation } from '../operations/operation.js';
import type { OperationStore } from '../operations/operation-store.js';
import { refusal } from '../operations/transition-records.js';
import { nextStatus } from '../operations/transitions.js';
import type { FileDigests } from '../util/file-digests.js';
import type { Logger } from '../util/logger.js';
import type { Placement } from './placement.js';

export interface ResumptionDeps {
  readonly operations: OperationStore;
  readonly checkpoints: CheckpointStore;
  readonly placement: Placement;
  readonly dataDir: string;
  readonly digests: FileDigests;
  readonly logger: Logger;
}

/**
 * Continues a failed or cancelled training from its newest checkpoint, as the same operation. The run trains the
 * strategy text the checkpoint holds (what it started with, whatever happened to the file since) on the data files as
 * they are now; the pipeline refuses the checkpoint if their hashes changed (CHECKPOINT_MISMATCH).
 *
 * Where the resumed run executes is chosen as for a new request with the run's execution mode and `require_gpu`:
 * here, an HTTP training host or a cluster-mode queue. A host fetches the checkpoint from this backend's store when
 * the run starts there (`GET /operations/{id}/checkpoint`), so a run lost with its host can continue on another one.
 * The run is told how many times the operation was resumed before it (`TrainingJob.attempt`): the queue gives each
 * attempt a job and event stream of its own.
 */
export class Resumption {
  constructor(private readonly deps: ResumptionDeps) {}

  /** `why` ends up in the status event's reason: `resumed by a user`, `resumed after a restart`, … */
  async resume(id: string, why: string): Promise<Operation> {
    const { operations, checkpoints, placement, logger } = this.deps;
    const operation = await operations.get(id);
    if (operation.type !== 'training') {
      throw new KtrdrError('NO_CHECKPOINT', `operation ${id} is a ${operation.type}; only trainings can be resumed`, { details: { id } });
    }
    if (nextStatus('markResumed', operation.status) === null) throw refusal(id, 'markResumed', operation.status);
    const found = await checkpoints.latest(id, ({ file, error }) => logger.warn({ operation_id: id, file }, error.message));
    if (found === null) {
      throw new KtrdrError('NO_CHECKPOINT', `operation ${id} has no checkpoint to resume from`, {
        details: { id, status: operation.status },
        hint: 'a run saves its first checkpoint after training.checkpoint.every_epochs epochs (or every_seconds); start a new training instead',
      });
    }
    const { checkpoint } = found;
    const strategy = parseStrategy(checkpoint.strategyYaml, `checkpoint of ${id}`);
    const data = await digestSeries(strategy.trainingData.symbols, requiredTimeframes(strategy), this.deps.dataDir, this.deps.digests);
    const lostOn = operation.error?.code === 'HOST_LOST' ? operation.execution.host : undefined;
    if (lostOn !== undefined) placement.distrust(lostOn, `run ${id} was lost with it (HOST_LOST)`);
    const mode = operation.execution.requested;
    const requireGpu = operation.request.require_gpu === true;
    const at = `epoch ${checkpoint.state.epochsDone}/${checkpoint.totalEpochs}`;
    const execution = await this.place(mode, requireGpu, at);
    const attempt = (await this.resumesOf(id)) + 1;
    const resumed = await operations.markResumed(id, {
      resumed: { epoch: checkpoint.state.epochsDone, total_epochs: checkpoint.totalEpochs },
      reason: `${why}, from the checkpoint at ${at}`,
      execution,
    });
    logger.info({ operation_id: id, epoch: checkpoint.state.epochsDone }, `training ${id} ${why} from the checkpoint at ${at}`);
    placement.launch(
      resumed,
      execution,
      {
        job: { operationId: id, strategyYaml: checkpoint.strategyYaml, strategySource: `checkpoint of ${id}`, data, attempt },
        mode,
        requireGpu,
        tried: [],
      },
      { progressFloor: operation.progress?.percent ?? 0 },
    );
    return resumed;
  }

  private async place(mode: ExecutionRecord['requested'], requireGpu: boolean, at: string): Promise<ExecutionRecord> {
    // A run that could not be placed anew (require_gpu and no healthy GPU host) still resumes: here, as before hosts
    // could take resumed runs, rather than not at all.
    const chosen = await this.deps.placement.select(mode, requireGpu).catch(() => this.deps.placement.select('local', false));
    if (chosen.selected === 'host') {
      const queue = chosen.host === undefined ? undefined : queueOfTarget(chosen.host);
      const where = queue === undefined ? 'on a training host' : `through the queue ${queue}`;
      return { ...chosen, reason: `resumed ${where} from the checkpoint at ${at}; ${chosen.reason}` };
    }
    const here = chosen.selected === 'local' ? chosen : await this.deps.placement.select('local', false);
    return { ...here, requested: mode, reason: `resumed here from the checkpoint at ${at}` };
  }

  /** How many times the operation was resumed so far: each resume left a `status` event with `resumed`. */
  private async resumesOf(id: string): Promise<number> {
    const changes = await this.deps.operations.eventsSince(id, 0, { kinds: ['status'], limit: 10_000 });
    return changes.filter((event) => event.data.resumed !== undefined).length;
  }
}
