import type { OperationStatus } from './operation.js';

/** One guarded step: applies only while the operation is in one of `from`. */
export interface TransitionRule {
  readonly from: readonly OperationStatus[];
  readonly to: OperationStatus;
}

/**
 * Every legal status change, by the store method that makes it. Rules of one entry are tried in order, each as a
 * compare-and-set in SQL, so two callers racing on one operation cannot both win and a terminal status
 * (`completed`, `failed`, `cancelled`) is never overwritten: no rule starts from one, except `markResumed`.
 *
 * The cancel rules, and why:
 * - `pending` is cancelled at once: nothing runs yet, so there is nothing to wait for.
 * - `running` becomes `cancelling`; only the executor can say the work has stopped (`confirmCancelled`). Recording
 *   `cancelled` when the request is accepted would claim something that is not yet true.
 * - A run that finishes while `cancelling` completes only if its model was already saved (`result.model_version` is a
 *   number): the version exists on disk and hiding it would be a lie. Otherwise the cancel is confirmed.
 * - A run that fails while `cancelling` ends `cancelled`: the user asked it to stop, and the failure is most often
 *   the abort itself. The failure is kept on the `status` event, not lost.
 * - On start-up, whatever a previous process left unfinished and cannot be re-attached fails as `INTERRUPTED`.
 *
 * `markResumed` is the one way back from a terminal status: a failed or cancelled training that has a checkpoint
 * continues as the same operation. It is explicit and recorded (a `status` event with `resumed`), and `completed` is
 * final for good: its model exists.
 */
export const TRANSITIONS = {
  markRunning: [{ from: ['pending'], to: 'running' }],
  completeWithModel: [{ from: ['running', 'cancelling'], to: 'completed' }],
  completeWithoutModel: [
    { from: ['running'], to: 'completed' },
    { from: ['cancelling'], to: 'cancelled' },
  ],
  markFailed: [
    { from: ['pending', 'running'], to: 'failed' },
    { from: ['cancelling'], to: 'cancelled' },
  ],
  requestCancel: [
    { from: ['pending'], to: 'cancelled' },
    { from: ['running'], to: 'cancelling' },
  ],
  confirmCancelled: [{ from: ['cancelling'], to: 'cancelled' }],
  failInterrupted: [{ from: ['pending', 'running', 'cancelling'], to: 'failed' }],
  markResumed: [{ from: ['failed', 'cancelled'], to: 'running' }],
} as const satisfies Record<string, readonly TransitionRule[]>;

export type TransitionName = keyof typeof TRANSITIONS;

/** The status `name` would move an operation in `current` to, or null when the change is not allowed. */
export function nextStatus(name: TransitionName, current: OperationStatus): OperationStatus | null {
  const rules: readonly TransitionRule[] = TRANSITIONS[name];
  return rules.find((rule) => rule.from.includes(current))?.to ?? null;
}
