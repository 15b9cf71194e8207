import type { RemoteExecutor } from '../execution/executor.js';
import type { HostCandidate } from '../execution/selection.js';

/** What the orchestration of runs needs of the training hosts (`HostPool` in production). */
export interface TrainingHosts {
  /** Every known host with fresh-enough health; checking is bounded by a short timeout per host. */
  candidates(): Promise<HostCandidate[]>;
  /** True when no host is configured or registered: selection then needs no health check at all. */
  readonly isEmpty: boolean;
  executor(url: string): RemoteExecutor;
  /** Lets the host forget a run whose result is stored (or that ended without one). */
  acknowledge(hostUrl: string, operationId: string): Promise<void>;
  /** A start could not reach the host: count it as unhealthy now rather than at the next health check. */
  reportUnreachable(hostUrl: string, reason: string): void;
  /** Shutdown: stop following dispatched runs without cancelling them; returns their operation ids. */
  detachDispatched(): string[];
  close(): Promise<void>;
}
