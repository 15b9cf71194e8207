import type { HostRegistration } from '../../contracts/host-protocol.js';
import type { HostView } from '../../contracts/hosts.js';
import { silentLogger, type Logger } from '../../util/logger.js';
import { RemoteHostExecutor } from '../remote/remote-host-executor.js';
import type { RemoteRunSettings } from '../remote/remote-settings.js';
import type { HostCandidate } from '../selection.js';
import { HostRegistry, type HostState } from './host-registry.js';
import { normalizeHostUrl } from './host-url.js';

export interface HostPoolOptions {
  readonly registry: HostRegistry;
  /** `KTRDR_HOST_TOKEN`: sent to hosts. */
  readonly token?: string;
  /**
   * The backend's base URL as hosts can reach it (`KTRDR_PUBLIC_URL`, else the listening address); read at each
   * dispatch because it is known only once the server listens. Undefined: hosts get no callback and results are pulled.
   */
  readonly publicUrl: () => string | undefined;
  readonly settings?: Partial<RemoteRunSettings>;
  readonly logger?: Logger;
}

/**
 * The training hosts as the training service uses them: the registry's health for selection, and one
 * `RemoteHostExecutor` per host (created on first use, kept for the life of the pool) for running there.
 */
export class HostPool {
  readonly registry: HostRegistry;
  private readonly executors = new Map<string, RemoteHostExecutor>();
  private readonly logger: Logger;

  constructor(private readonly options: HostPoolOptions) {
    this.registry = options.registry;
    this.logger = options.logger ?? silentLogger();
  }

  /** Whether any host is known (configured or registered); without one, selection need not check anything. */
  get isEmpty(): boolean {
    return this.registry.snapshot().length === 0;
  }

  /** Every host with health no older than the registry's freshness limit (re-checked concurrently if needed). */
  async candidates(): Promise<HostCandidate[]> {
    const states = await this.registry.refresh();
    return states.map((state) => this.candidateOf(state));
  }

  /** What `GET /hosts` shows. */
  list(): HostView[] {
    return this.registry.snapshot().map((state) => this.viewOf(state));
  }

  register(registration: HostRegistration): { host: HostView; created: boolean } {
    const { host, created } = this.registry.register(registration);
    return { host: this.viewOf(host), created };
  }

  /** The executor for a host, created on first use; a host unknown to the registry (a restarted run's) is fine. */
  executor(url: string): RemoteHostExecutor {
    const hostUrl = normalizeHostUrl(url);
    let executor = this.executors.get(hostUrl);
    if (executor === undefined) {
      executor = new RemoteHostExecutor({
        hostUrl,
        info: () => {
          const health = this.registry.state(hostUrl)?.health;
          return { device: health?.device, capacity: health?.capacity };
        },
        token: this.options.token,
        callbackUrl: (operationId) => {
          const base = this.options.publicUrl();
          return base === undefined ? undefined : `${base}/api/v1/trainings/${encodeURIComponent(operationId)}/result`;
        },
        settings: this.options.settings,
        logger: this.logger,
      });
      this.executors.set(hostUrl, executor);
    }
    return executor;
  }

  /** Lets the host forget a run whose result is stored. */
  acknowledge(hostUrl: string, operationId: string): Promise<void> {
    return this.executor(hostUrl).acknowledge(operationId);
  }

  reportUnreachable(hostUrl: string, reason: string): void {
    this.registry.markUnreachable(normalizeHostUrl(hostUrl), reason);
  }

  /** Shutdown: dispatched runs keep running on their hosts (the next start re-attaches); returns their ids. */
  detachDispatched(): string[] {
    return [...this.executors.values()].flatMap((executor) => executor.detachDispatched());
  }

  async close(): Promise<void> {
    await Promise.all([...this.executors.values()].map((executor) => executor.close()));
    await this.registry.stop();
  }

  private candidateOf(state: HostState): HostCandidate {
    const here = this.executors.get(state.url)?.capacity();
    return {
      url: state.url,
      name: state.name,
      status: state.status,
      device: state.health?.device ?? null,
      capacity: state.health?.capacity ?? 0,
      active: state.health?.active ?? 0,
      runningHere: here?.running ?? 0,
      queuedHere: here?.queued ?? 0,
      error: state.error,
    };
  }

  private viewOf(state: HostState): HostView {
    const here = this.executors.get(state.url)?.capacity();
    const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
    return {
      url: state.url,
      name: state.name,
      source: state.source,
      status: state.status,
      device: state.health?.device ?? null,
      busy: state.health?.busy ?? null,
      active: state.health?.active ?? null,
      capacity: state.health?.capacity ?? null,
      version: state.health?.version ?? null,
      runs_here: (here?.running ?? 0) + (here?.queued ?? 0),
      last_seen: iso(state.lastSeen),
      last_checked: iso(state.lastChecked),
      latency_ms: state.latencyMs,
      error: state.error,
    };
  }
}
