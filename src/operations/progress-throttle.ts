import type { TrainingProgress } from '../training/progress.js';

/** Default minimum gap between two persisted progress events of one operation. */
export const DEFAULT_PROGRESS_EVENT_INTERVAL_MS = 250;

interface ThrottleState {
  lastWrittenAt: number;
  lastStep: string;
  /** The newest snapshot not yet written as an event. */
  held: TrainingProgress | undefined;
}

/**
 * Decides which progress snapshots become `progress` events. A training run reports progress per batch, and
 * writing each as a row would put millions of rows in the log of a long run; the latest snapshot on the operation
 * is always current, so the event log only needs the shape of the curve.
 *
 * A snapshot is written when it is the operation's first, starts a new step, reaches 100 %, or comes at least
 * `intervalMs` after the last written one. Others are held; the newest held one is written by `flush` when the
 * operation ends, so the last snapshot is always in the log. State is per process: after a restart the next
 * snapshot counts as a first one.
 */
export class ProgressThrottle {
  private readonly state = new Map<string, ThrottleState>();

  constructor(
    private readonly intervalMs: number,
    private readonly now: () => number,
  ) {}

  /** True when `progress` should be written as an event now; otherwise it is held. */
  offer(operationId: string, progress: TrainingProgress): boolean {
    const now = this.now();
    const state = this.state.get(operationId);
    const due = state === undefined || progress.step !== state.lastStep || progress.percent >= 100 || now - state.lastWrittenAt >= this.intervalMs;
    if (!due) {
      state.held = progress;
      return false;
    }
    this.state.set(operationId, { lastWrittenAt: now, lastStep: progress.step, held: undefined });
    return true;
  }

  /** The held snapshot, if any, and forgets the operation (it has ended, or the store is closing). */
  flush(operationId: string): TrainingProgress | undefined {
    const held = this.state.get(operationId)?.held;
    this.state.delete(operationId);
    return held;
  }

  /** Ids of operations with a held snapshot. */
  operationsWithHeldProgress(): string[] {
    return [...this.state].filter(([, s]) => s.held !== undefined).map(([id]) => id);
  }
}
