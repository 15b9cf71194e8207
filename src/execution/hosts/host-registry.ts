import type { HostHealth, HostRegistration } from '../../contracts/host-protocol.js';
import type { HostStatus } from '../../contracts/hosts.js';
import { silentLogger, type Logger } from '../../util/logger.js';
import { probeHost, type HostProbe, type Probe } from './health-probe.js';
import { normalizeHostUrl } from './host-url.js';

export interface HostRegistryOptions {
  /** `KTRDR_HOSTS`: always listed, never dropped, only ever unhealthy. */
  readonly configured?: readonly string[];
  /** @defaultValue `GET {url}/health` */
  readonly probe?: Probe;
  /** One health check may take this long; a slow host is an unhealthy one. @defaultValue 1000 ms */
  readonly healthTimeoutMs?: number;
  /** Background checks of every host. @defaultValue 5000 ms */
  readonly checkIntervalMs?: number;
  /** Selection re-checks a host whose last check is older than this. @defaultValue 2000 ms */
  readonly freshForMs?: number;
  /** A registered host neither heartbeating nor answering for this long is `stale` (not selected). @defaultValue 30 s */
  readonly staleAfterMs?: number;
  /** ... and after this long it is dropped from the list. @defaultValue 5 minutes */
  readonly forgetAfterMs?: number;
  readonly logger?: Logger;
  readonly now?: () => number;
}

/** One host as the registry knows it at a moment. */
export interface HostState {
  readonly url: string;
  readonly name: string | null;
  readonly source: 'configured' | 'registered';
  readonly status: HostStatus;
  /** The last answer that was healthy (device, capacity, busy); null until one came. */
  readonly health: HostHealth | null;
  /** ms since the epoch. */
  readonly lastSeen: number | null;
  readonly lastChecked: number | null;
  readonly latencyMs: number | null;
  /** Why the last check failed; null when it succeeded. */
  readonly error: string | null;
}

interface HostRecord {
  readonly url: string;
  name: string | null;
  source: 'configured' | 'registered';
  lastHeartbeat: number | null;
  lastProbe: HostProbe | null;
  lastHealthy: (HostProbe & { ok: true }) | null;
  checking: Promise<void> | undefined;
}

/**
 * The training hosts this backend knows: configured ones (`KTRDR_HOSTS`) and self-registered ones (repeated
 * registrations are heartbeats), each with its latest health. Health checks run concurrently, each bounded by a
 * short timeout, in the background every few seconds and again at selection time when the cached answer is older
 * than `freshForMs`; so a dead or slow host costs a request at most one timeout, never a stall.
 */
export class HostRegistry {
  private readonly hosts = new Map<string, HostRecord>();
  private readonly probe: Probe;
  private readonly healthTimeoutMs: number;
  private readonly checkIntervalMs: number;
  private readonly freshForMs: number;
  readonly staleAfterMs: number;
  private readonly forgetAfterMs: number;
  private readonly logger: Logger;
  private readonly now: () => number;
  private timer: NodeJS.Timeout | undefined;

  constructor(options: HostRegistryOptions = {}) {
    this.probe = options.probe ?? probeHost;
    this.healthTimeoutMs = options.healthTimeoutMs ?? 1000;
    this.checkIntervalMs = options.checkIntervalMs ?? 5000;
    this.freshForMs = options.freshForMs ?? 2000;
    this.staleAfterMs = options.staleAfterMs ?? 30_000;
    this.forgetAfterMs = options.forgetAfterMs ?? 5 * 60_000;
    this.logger = options.logger ?? silentLogger();
    this.now = options.now ?? Date.now;
    for (const url of options.configured ?? []) {
      const normalized = normalizeHostUrl(url);
      this.hosts.set(normalized, newRecord(normalized, 'configured'));
    }
  }

  /** Begins the background checks (the first one at once). */
  start(): void {
    if (this.timer !== undefined) return;
    void this.checkAll();
    this.timer = setInterval(() => void this.checkAll(), this.checkIntervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await Promise.all([...this.hosts.values()].map((host) => host.checking));
  }

  /** A registration or heartbeat. Returns the host's state and whether it was new; a new host is checked at once. */
  register(registration: HostRegistration): { host: HostState; created: boolean } {
    const url = normalizeHostUrl(registration.url);
    let record = this.hosts.get(url);
    const created = record === undefined;
    if (record === undefined) {
      record = newRecord(url, 'registered');
      this.hosts.set(url, record);
      this.logger.info({ host: url, name: registration.name }, `training host ${url} registered`);
    }
    record.lastHeartbeat = this.now();
    if (registration.name !== undefined) record.name = registration.name;
    if (created || record.lastProbe?.ok !== true) void this.check(record);
    return { host: this.stateOf(record), created };
  }

  has(url: string): boolean {
    return this.hosts.has(url);
  }

  /** Every host, configured ones first, then registered ones by URL. */
  snapshot(): HostState[] {
    this.forgetGone();
    return [...this.hosts.values()]
      .sort((a, b) => (a.source === b.source ? a.url.localeCompare(b.url) : a.source === 'configured' ? -1 : 1))
      .map((record) => this.stateOf(record));
  }

  /** One host's state, or undefined for a host the registry does not know (e.g. one a restarted run refers to). */
  state(url: string): HostState | undefined {
    const record = this.hosts.get(url);
    return record === undefined ? undefined : this.stateOf(record);
  }

  /**
   * Re-checks, concurrently, every host whose last check is older than `maxAgeMs`, then returns the snapshot. Only
   * checks that could change a decision are waited for (hosts last seen healthy, or never checked): a host already
   * known to be down is re-checked in the background, so a dead host costs a request nothing and a host that just
   * hung costs it one health timeout, once.
   */
  async refresh(maxAgeMs: number = this.freshForMs): Promise<HostState[]> {
    this.forgetGone();
    const due = [...this.hosts.values()].filter((record) => record.lastProbe === null || this.now() - record.lastProbe.at > maxAgeMs);
    const awaited: Promise<void>[] = [];
    for (const record of due) {
      const check = this.check(record);
      if (record.lastProbe === null || record.lastProbe.ok) awaited.push(check);
    }
    await Promise.all(awaited);
    return this.snapshot();
  }

  /** Something other than a health check found the host unreachable: it is unhealthy from now until it answers again. */
  markUnreachable(url: string, reason: string): void {
    const record = this.hosts.get(url);
    if (record !== undefined) this.recordProbe(record, { ok: false, error: reason, latencyMs: 0, at: this.now() });
  }

  /** Checks every host now, concurrently. */
  async checkAll(): Promise<void> {
    this.forgetGone();
    await Promise.all([...this.hosts.values()].map((record) => this.check(record)));
  }

  /** A host being checked already is not checked twice: callers share the check in flight. */
  private check(record: HostRecord): Promise<void> {
    record.checking ??= this.probe(record.url, this.healthTimeoutMs)
      .then((probe) => this.recordProbe(record, { ...probe, at: this.now() }))
      .finally(() => (record.checking = undefined));
    return record.checking;
  }

  private recordProbe(record: HostRecord, probe: HostProbe): void {
    const wasHealthy = record.lastProbe?.ok;
    record.lastProbe = probe;
    if (probe.ok) record.lastHealthy = probe;
    if (wasHealthy === probe.ok) return;
    if (probe.ok)
      this.logger.info(
        { host: record.url, device: probe.health.device.name },
        `training host ${record.url} is healthy (${probe.health.device.name})`,
      );
    else if (wasHealthy === true || record.source === 'configured')
      this.logger.warn({ host: record.url, error: probe.error }, `training host ${record.url} is unhealthy: ${probe.error}`);
  }

  private stateOf(record: HostRecord): HostState {
    const lastSeen = maxOrNull(record.lastHeartbeat, record.lastHealthy?.at ?? null);
    const probe = record.lastProbe;
    let status: HostStatus;
    if (record.source === 'registered' && (lastSeen === null || this.now() - lastSeen > this.staleAfterMs)) status = 'stale';
    else if (probe === null) status = 'unknown';
    else status = probe.ok ? 'healthy' : 'unhealthy';
    return {
      url: record.url,
      name: record.name ?? null,
      source: record.source,
      status,
      health: record.lastHealthy?.health ?? null,
      lastSeen,
      lastChecked: probe?.at ?? null,
      latencyMs: probe?.latencyMs ?? null,
      error: probe !== null && !probe.ok ? probe.error : null,
    };
  }

  /** Registered hosts silent for `forgetAfterMs` are dropped; a later heartbeat adds them again. */
  private forgetGone(): void {
    const now = this.now();
    for (const record of [...this.hosts.values()]) {
      if (record.source !== 'registered') continue;
      const lastSeen = maxOrNull(record.lastHeartbeat, record.lastHealthy?.at ?? null) ?? 0;
      if (now - lastSeen <= this.forgetAfterMs) continue;
      this.hosts.delete(record.url);
      this.logger.info({ host: record.url }, `training host ${record.url} dropped: not seen for ${Math.round((now - lastSeen) / 1000)} s`);
    }
  }
}

function newRecord(url: string, source: HostRecord['source']): HostRecord {
  return { url, name: null, source, lastHeartbeat: null, lastProbe: null, lastHealthy: null, checking: undefined };
}

function maxOrNull(a: number | null, b: number | null): number | null {
  if (a === null) return b;
  if (b === null) return a;
  return Math.max(a, b);
}
