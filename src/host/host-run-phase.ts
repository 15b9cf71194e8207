import type { HostRunStatus } from '../contracts/host-protocol.js';
import type { PhaseMoves } from '../util/phases.js';

/**
 * Where a run on this host is:
 * - `queued`: accepted; its data is being prepared, or it waits for a worker thread;
 * - `running`: training;
 * - `pushing`: completed, and its result is being pushed to the backend;
 * - `completed`, `failed`, `cancelled`: ended. A completed run's result stays until acknowledged or expired.
 */
export type HostRunPhase = 'queued' | 'running' | 'pushing' | 'completed' | 'failed' | 'cancelled';

export const HOST_RUN_MOVES: PhaseMoves<HostRunPhase> = {
  // Cancelled or failed before it trained: while its data was prepared, or while it waited for a thread.
  queued: ['running', 'failed', 'cancelled'],
  // Pushing only with a callback URL; without one the backend pulls the result.
  running: ['pushing', 'completed', 'failed', 'cancelled'],
  // However the push ends (accepted, given up, the host closing), the run stays completed with its result.
  pushing: ['completed'],
  completed: [],
  failed: [],
  cancelled: [],
};

/** What `GET /training/{id}` says: a run whose result is being pushed has completed (the push is `result_pushed`). */
export function hostRunStatus(phase: HostRunPhase): HostRunStatus {
  return phase === 'pushing' ? 'completed' : phase;
}

/** An ended run no longer counts against capacity, may be removed, and expires after the retention time. */
export function hasEnded(phase: HostRunPhase): boolean {
  return phase !== 'queued' && phase !== 'running';
}
