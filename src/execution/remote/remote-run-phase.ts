import type { PhaseMoves } from '../../util/phases.js';

/**
 * Where a `RemoteRun` is:
 * - `dispatching`: the start request is being built and sent (retried while the host is busy or unreachable);
 * - `following`: the host has the run; its events are polled and relayed;
 * - `awaitingPush`: the host reported the run completed; its artifact is awaited as a push, else pulled;
 * - `watching`: the run failed with HOST_LOST (outcome settled); the host may still come back with the result;
 * - `detached`: this process let go of the run without cancelling it; the next one re-attaches;
 * - `done`: the outcome (and what was recovered) is settled and the loop has ended.
 */
export type RemoteRunPhase = 'dispatching' | 'following' | 'awaitingPush' | 'watching' | 'detached' | 'done';

export const REMOTE_RUN_MOVES: PhaseMoves<RemoteRunPhase> = {
  // Refused, failed or cancelled before the host had the run: nothing to follow, nothing the host could give back.
  dispatching: ['following', 'done'],
  following: ['awaitingPush', 'watching', 'detached', 'done'],
  // The host can still stop answering (or keep failing the pull) while the result is awaited: HOST_LOST.
  awaitingPush: ['watching', 'detached', 'done'],
  watching: ['done'],
  // Letting go happens only on shutdown; nothing follows it in this process.
  detached: [],
  done: [],
};
