import type { HostDevice, HostStartRequest } from '../../contracts/host-protocol.js';
import { KtrdrError } from '../../errors.js';
import { silentLogger, type Logger } from '../../util/logger.js';
import type { AttachRequest, ExecutorCapacity, RemoteExecutor, RemoteRunControl, RunHandle, RunObserver, TrainingJob } from '../executor.js';
import { SlotQueue, type Slot } from '../slot-queue.js';
import { HostClient, isHostError } from './host-client.js';
import { RemoteRun, type RunResume } from './remote-run.js';
import { remoteRunSettings, type RemoteRunSettings } from './remote-settings.js';

/** What the executor knows about its host right now; health checks keep it current. */
export interface HostInfo {
  readonly device?: HostDevice;
  /** Runs the host executes at once. */
  readonly capacity?: number;
}

export interface RemoteHostExecutorOptions {
  /** The host's base URL, e.g. `http://gpu-box:5002`. */
  readonly hostUrl: string;
  /** Called whenever the device or capacity is needed; the host pool answers from its latest health check. */
  readonly info: () => HostInfo;
  /** `KTRDR_HOST_TOKEN`, sent on every host call. */
  readonly token?: string;
  /** Where the host should push the artifact of a run; undefined = no push, the result is pulled. */
  readonly callbackUrl?: (operationId: string) => string | undefined;
  readonly settings?: Partial<RemoteRunSettings>;
  readonly logger?: Logger;
}

/** A job for this host: a new run to dispatch, or (re-attaching) one the host already has. */
interface RemoteJob {
  readonly operationId: string;
  readonly job?: TrainingJob;
  readonly resume?: RunResume;
  /** Set once the job has a slot. */
  run?: RemoteRun;
}

/**
 * Runs trainings on one training host, behind the same `Executor` port as local worker threads (and passing the same
 * conformance suite). Jobs wait here in FIFO order until the host has a free slot; each dispatched job is a
 * `RemoteRun` that relays the host's events, so a remote run reports exactly what a local one does.
 *
 * Never touches the operation or model stores: the artifact comes back in the outcome (or through `recovered`), and
 * the caller acknowledges it with `acknowledge` once it is stored, which lets the host forget it.
 */
export class RemoteHostExecutor implements RemoteExecutor {
  readonly target = 'host' as const;
  readonly hostUrl: string;
  private readonly client: HostClient;
  private readonly settings: RemoteRunSettings;
  private readonly logger: Logger;
  private readonly queue: SlotQueue<RemoteJob>;
  /** Every run whose loop is alive, watchers of lost runs included. */
  private readonly live = new Set<RemoteRun>();
  private closed = false;

  constructor(private readonly options: RemoteHostExecutorOptions) {
    this.hostUrl = options.hostUrl.replace(/\/+$/, '');
    this.client = new HostClient(this.hostUrl, { token: options.token });
    this.settings = remoteRunSettings(options.settings);
    this.logger = options.logger ?? silentLogger();
    this.queue = new SlotQueue({ slots: () => this.slots(), launch: (slot) => this.launch(slot) });
  }

  get device(): string {
    return this.options.info().device?.name ?? 'unknown (host not checked yet)';
  }

  get gpu(): boolean {
    return this.options.info().device?.kind === 'gpu';
  }

  submit(job: TrainingJob, observer: RunObserver = {}): RunHandle {
    this.checkOpen(job.operationId);
    return this.handleOf(this.queue.enqueue({ operationId: job.operationId, job }, observer));
  }

  /** Follows a run the host already has, ahead of the queue: its host slot was counted when it was dispatched. */
  attach(request: AttachRequest, observer: RunObserver = {}): RunHandle {
    this.checkOpen(request.operationId);
    // An HTTP host knows its runs by operation id, whatever the remote reference's `run_id` says.
    const { operationId, cursor, started, cancelRequested } = request;
    return this.handleOf(this.queue.admit({ operationId, resume: { cursor, started, cancelRequested } }, observer));
  }

  /** Tells the host the run's result is stored: it may forget the run. An unknown run counts as acknowledged. */
  async acknowledge(operationId: string): Promise<void> {
    try {
      await this.client.remove(operationId, { timeoutMs: this.settings.requestTimeoutMs });
    } catch (error) {
      if (isHostError(error, 'OPERATION_NOT_FOUND')) return;
      throw error;
    }
  }

  capacity(): ExecutorCapacity {
    return this.queue.capacity();
  }

  /**
   * Stops following every dispatched run without cancelling it on its host (shutdown: the next process re-attaches
   * from the operations' remote references). Returns their operation ids; queued jobs are left to the caller.
   */
  detachDispatched(): string[] {
    const detached: string[] = [];
    for (const { job } of this.queue.running()) if (job.run?.detach()) detached.push(job.operationId);
    return detached;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.queue.close();
    for (const run of this.live) run.close();
    await Promise.all([...this.live].map((run) => run.stopped()));
  }

  private slots(): number {
    const capacity = this.options.info().capacity;
    return capacity !== undefined && Number.isInteger(capacity) && capacity > 0 ? capacity : 1;
  }

  private checkOpen(operationId: string): void {
    if (this.closed) throw new KtrdrError('SHUTTING_DOWN', `the executor for ${this.hostUrl} is closed`, { details: { operation_id: operationId } });
  }

  private handleOf(slot: Slot<RemoteJob>): RunHandle {
    const remote: RemoteRunControl = {
      deliverResult: (artifact) => slot.job.run?.deliverResult(artifact) ?? false,
      detach: () => slot.job.run?.detach() ?? false,
      // A job cancelled while queued never had a run: there is nothing to recover.
      recovered: slot.outcome.then(() => slot.job.run?.recovered ?? null),
    };
    return { outcome: slot.outcome, cancel: () => this.queue.cancel(slot), remote };
  }

  private launch(slot: Slot<RemoteJob>): void {
    const { operationId, job, resume } = slot.job;
    const callbackUrl = this.options.callbackUrl?.(operationId);
    const run = new RemoteRun({
      client: this.client,
      operationId,
      observer: slot.observer,
      settings: this.settings,
      logger: this.logger,
      prepare: job === undefined ? undefined : () => Promise.resolve(this.startRequest(job, callbackUrl)),
      resume,
      expectsPush: callbackUrl !== undefined,
      // The host has freed the slot (the result may still be on its way): the next job may go.
      onHostDone: () => this.queue.release(slot),
    });
    slot.job.run = run;
    slot.stop = () => run.cancel();
    if (slot.cancelled) run.cancel();
    this.live.add(run);
    void run.outcome.then((outcome) => slot.settle(outcome));
    void run.stopped().then(() => this.live.delete(run));
    run.start();
  }

  private startRequest(job: TrainingJob, callbackUrl: string | undefined): HostStartRequest {
    return {
      operation_id: job.operationId,
      strategy_yaml: job.strategyYaml,
      request: { strategy_source: job.strategySource.slice(-500) },
      data: job.data.map(({ symbol, timeframe, sha256 }) => ({ symbol, timeframe, sha256 })),
      ...(callbackUrl !== undefined ? { callback_url: callbackUrl } : {}),
    };
  }
}
