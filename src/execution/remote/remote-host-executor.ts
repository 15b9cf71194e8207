import type { HostDevice, HostStartRequest } from '../../contracts/host-protocol.js';
import { KtrdrError } from '../../errors.js';
import type { ModelArtifact } from '../../training/artifact.js';
import { silentLogger, type Logger } from '../../util/logger.js';
import type { AttachRequest, ExecutorCapacity, RemoteExecutor, RemoteRunControl, RunHandle, RunObserver, RunOutcome, TrainingJob } from '../executor.js';
import { HostClient, isHostError } from './host-client.js';
import { RemoteRun } from './remote-run.js';
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

interface Entry {
  readonly operationId: string;
  readonly job?: TrainingJob;
  readonly observer: RunObserver;
  readonly resolve: (outcome: RunOutcome) => void;
  readonly resolveRecovered: (artifact: ModelArtifact | null) => void;
  run?: RemoteRun;
  cancelled: boolean;
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
  private readonly queue: Entry[] = [];
  private readonly running = new Set<Entry>();
  /** Every run whose loop is alive, watchers of lost runs included. */
  private readonly live = new Set<RemoteRun>();
  private closed = false;

  constructor(private readonly options: RemoteHostExecutorOptions) {
    this.hostUrl = options.hostUrl.replace(/\/+$/, '');
    this.client = new HostClient(this.hostUrl, { token: options.token });
    this.settings = remoteRunSettings(options.settings);
    this.logger = options.logger ?? silentLogger();
  }

  get device(): string {
    return this.options.info().device?.name ?? 'unknown (host not checked yet)';
  }

  get gpu(): boolean {
    return this.options.info().device?.kind === 'gpu';
  }

  submit(job: TrainingJob, observer: RunObserver = {}): RunHandle {
    if (this.closed) throw new KtrdrError('INTERNAL', `the executor for ${this.hostUrl} is closed`, { details: { operation_id: job.operationId } });
    const { entry, handle } = this.newEntry(job.operationId, observer, job);
    this.queue.push(entry);
    this.startQueued();
    return handle;
  }

  /** Follows a run the host already has, without a slot of its own: it was counted when it was dispatched. */
  attach(request: AttachRequest, observer: RunObserver = {}): RunHandle {
    if (this.closed) throw new KtrdrError('INTERNAL', `the executor for ${this.hostUrl} is closed`, { details: { operation_id: request.operationId } });
    const { entry, handle } = this.newEntry(request.operationId, observer);
    this.launch(entry, { cursor: request.cursor, started: request.started, cancelRequested: request.cancelRequested });
    return handle;
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
    return { slots: this.slots(), running: this.running.size, queued: this.queue.length };
  }

  /**
   * Stops following every dispatched run without cancelling it on its host (shutdown: the next process re-attaches
   * from the operations' remote references). Returns their operation ids; queued jobs are left to the caller.
   */
  detachDispatched(): string[] {
    const detached: string[] = [];
    for (const entry of this.running) if (entry.run?.detach()) detached.push(entry.operationId);
    return detached;
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const entry of [...this.queue]) this.cancel(entry);
    for (const entry of [...this.running]) this.cancel(entry);
    for (const run of this.live) run.close();
    await Promise.all([...this.live].map((run) => run.stopped()));
  }

  private slots(): number {
    const capacity = this.options.info().capacity;
    return capacity !== undefined && Number.isInteger(capacity) && capacity > 0 ? capacity : 1;
  }

  private newEntry(operationId: string, observer: RunObserver, job?: TrainingJob): { entry: Entry; handle: RunHandle } {
    let resolve!: (outcome: RunOutcome) => void;
    let resolveRecovered!: (artifact: ModelArtifact | null) => void;
    const outcome = new Promise<RunOutcome>((r) => (resolve = r));
    const recovered = new Promise<ModelArtifact | null>((r) => (resolveRecovered = r));
    const entry: Entry = { operationId, job, observer, resolve, resolveRecovered, cancelled: false };
    const remote: RemoteRunControl = {
      deliverResult: (artifact) => entry.run?.deliverResult(artifact) ?? false,
      detach: () => entry.run?.detach() ?? false,
      recovered,
    };
    return { entry, handle: { outcome, cancel: () => this.cancel(entry), remote } };
  }

  private cancel(entry: Entry): void {
    if (entry.cancelled) return;
    entry.cancelled = true;
    const queuedAt = this.queue.indexOf(entry);
    if (queuedAt >= 0) {
      this.queue.splice(queuedAt, 1);
      entry.resolve({ status: 'cancelled', started: false });
      entry.resolveRecovered(null);
      return;
    }
    entry.run?.cancel();
  }

  private startQueued(): void {
    while (!this.closed && this.running.size < this.slots() && this.queue.length > 0) {
      const entry = this.queue.shift()!;
      this.launch(entry);
    }
  }

  private launch(entry: Entry, resume?: AttachRequest | Omit<AttachRequest, 'operationId'>): void {
    this.running.add(entry);
    const job = entry.job;
    const callbackUrl = this.options.callbackUrl?.(entry.operationId);
    const run = new RemoteRun({
      client: this.client,
      operationId: entry.operationId,
      observer: entry.observer,
      settings: this.settings,
      logger: this.logger,
      prepare: job === undefined ? undefined : () => Promise.resolve(this.startRequest(job, callbackUrl)),
      resume: resume === undefined ? undefined : { cursor: resume.cursor, started: resume.started, cancelRequested: resume.cancelRequested },
      expectsPush: callbackUrl !== undefined,
      onHostDone: () => {
        // The host has freed the slot (the result may still be on its way): the next job may go.
        this.running.delete(entry);
        this.startQueued();
      },
    });
    entry.run = run;
    if (entry.cancelled) run.cancel();
    this.live.add(run);
    void run.outcome.then(entry.resolve);
    void run.recovered.then(entry.resolveRecovered);
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
