import type { HostDevice } from '../contracts/host-protocol.js';
import type { HostStatus } from '../contracts/hosts.js';
import { KtrdrError } from '../errors.js';
import type { ExecutionMode, ExecutionRecord } from '../operations/operation.js';
import type { Executor } from './executor.js';

export interface ExecutionRequest {
  readonly mode: ExecutionMode;
  readonly requireGpu: boolean;
}

/** A training host as selection sees it: its latest health plus this backend's own runs there. */
export interface HostCandidate {
  readonly url: string;
  readonly name: string | null;
  readonly status: HostStatus;
  /** From the last healthy answer; null when the host never answered. */
  readonly device: HostDevice | null;
  readonly capacity: number;
  /** Runs on the host (any backend's), as of the last check. */
  readonly active: number;
  /** This backend's runs dispatched there and not yet ended; may be ahead of `active`, which is up to seconds old. */
  readonly runningHere: number;
  /** This backend's jobs waiting for a slot on the host. */
  readonly queuedHere: number;
  /** Why the last check failed. */
  readonly error: string | null;
}

/** Slots a new run could take right now. */
export function freeSlots(host: HostCandidate): number {
  return host.capacity - Math.max(host.active, host.runningHere) - host.queuedHere;
}

/**
 * Chooses where a run goes and records why (the reason is stored on the operation and shown by the CLI):
 *
 * - `local`: always here. With `require_gpu` only if this process trains on a GPU, otherwise HOST_UNAVAILABLE.
 * - `host`: a healthy host; idle before busy (a busy host queues the run here until a slot frees), GPU before CPU,
 *   then the most free slots. No healthy host: local, with the fallback and the hosts' problems in the reason; with
 *   `require_gpu`, only GPU hosts count and having none is HOST_UNAVAILABLE.
 * - `auto`: a healthy *idle GPU* host when there is one, otherwise local ("faster startup" for work a CPU host
 *   would not speed up). With `require_gpu`: a busy GPU host (queued) or a local GPU, else HOST_UNAVAILABLE.
 *
 * A CPU-only host reports `device.kind: cpu` and never satisfies `require_gpu`. HOST_UNAVAILABLE means nothing was
 * started; the caller creates no operation.
 */
export function selectExecution(
  request: ExecutionRequest,
  local: Pick<Executor, 'device' | 'gpu'>,
  hosts: readonly HostCandidate[] = [],
): ExecutionRecord {
  const { mode, requireGpu } = request;
  const healthy = hosts.filter((host) => host.status === 'healthy' && host.device !== null);
  const gpuHosts = healthy.filter((host) => host.device!.kind === 'gpu');
  const toLocal = (reason: string): ExecutionRecord => ({ requested: mode, selected: 'local', reason, device: local.device });
  const toHost = (host: HostCandidate, why: string): ExecutionRecord => ({
    requested: mode,
    selected: 'host',
    reason: `${why}: ${describeHost(host)}`,
    host: host.url,
    device: host.device!.name,
  });

  switch (mode) {
    case 'local':
      if (requireGpu && !local.gpu)
        throw gpuUnavailable(request, hosts, local, `local execution was requested, and this server trains on ${local.device}`);
      return toLocal('local execution requested');

    case 'host': {
      const pool = requireGpu ? gpuHosts : healthy;
      const best = bestHost(pool);
      if (best !== undefined) return toHost(best, freeSlots(best) > 0 ? 'host requested' : 'host requested, every healthy host is busy; queued for');
      if (requireGpu) throw gpuUnavailable(request, hosts, local, 'no healthy GPU training host');
      return toLocal(`host requested, but ${noHostReason(hosts)}; fell back to local execution`);
    }

    case 'auto': {
      const idleGpu = bestHost(gpuHosts.filter((host) => freeSlots(host) > 0));
      if (idleGpu !== undefined) return toHost(idleGpu, 'auto: idle GPU training host');
      if (requireGpu) {
        const busyGpu = bestHost(gpuHosts);
        if (busyGpu !== undefined) return toHost(busyGpu, 'auto with require_gpu: every GPU host is busy; queued for');
        if (local.gpu) return toLocal(`auto with require_gpu: no healthy GPU training host, and this server trains on ${local.device}`);
        throw gpuUnavailable(request, hosts, local, 'no healthy GPU training host');
      }
      if (hosts.length === 0) return toLocal('auto: no training hosts are configured, so the run is local');
      if (gpuHosts.length > 0) return toLocal('auto: every GPU training host is busy; local execution');
      return toLocal(`auto: no idle healthy GPU training host (${hostProblems(hosts)}); local execution`);
    }
  }
}

/** Idle before busy, GPU before CPU, then the most free slots, then the fewest active runs, then by URL. */
function bestHost(hosts: readonly HostCandidate[]): HostCandidate | undefined {
  return [...hosts].sort(
    (a, b) =>
      Number(freeSlots(b) > 0) - Number(freeSlots(a) > 0) ||
      Number(b.device?.kind === 'gpu') - Number(a.device?.kind === 'gpu') ||
      freeSlots(b) - freeSlots(a) ||
      a.active - b.active ||
      a.url.localeCompare(b.url),
  )[0];
}

function describeHost(host: HostCandidate): string {
  const label = host.name !== null ? `${host.name} (${host.url})` : host.url;
  const device = host.device!.kind === 'gpu' ? `GPU ${host.device!.name}` : host.device!.name;
  return `${label} (${device}, ${Math.max(0, freeSlots(host))}/${host.capacity} slots free)`;
}

function noHostReason(hosts: readonly HostCandidate[]): string {
  return hosts.length === 0 ? 'no training hosts are configured' : `no training host is healthy (${hostProblems(hosts)})`;
}

/** `a: unhealthy (connection refused); b: cpu only` — what each host lacked, for the reason and the error. */
function hostProblems(hosts: readonly HostCandidate[]): string {
  if (hosts.length === 0) return 'none configured';
  return hosts
    .map((host) => {
      if (host.status !== 'healthy') return `${host.url}: ${host.status}${host.error ? ` (${host.error})` : ''}`;
      if (host.device?.kind !== 'gpu') return `${host.url}: cpu only`;
      return `${host.url}: busy`;
    })
    .join('; ');
}

function gpuUnavailable(request: ExecutionRequest, hosts: readonly HostCandidate[], local: Pick<Executor, 'device'>, why: string): KtrdrError {
  return new KtrdrError('HOST_UNAVAILABLE', `require_gpu is set, but ${why}; nothing was started`, {
    details: {
      execution_mode: request.mode,
      require_gpu: true,
      local_device: local.device,
      hosts: hosts.map((host) => ({ url: host.url, status: host.status, device: host.device?.kind ?? null, error: host.error })),
    },
    hint:
      hosts.length === 0
        ? 'configure a GPU training host (KTRDR_HOSTS), or start without require_gpu'
        : 'start a GPU training host, or start without require_gpu',
  });
}
