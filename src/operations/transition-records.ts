import { KtrdrError } from '../errors.js';
import {
  isTerminal,
  type ExecutionRecord,
  type OperationError,
  type OperationStatus,
  type ResultSummaryCore,
  type StatusChange,
} from './operation.js';
import type { TransitionName } from './transitions.js';

/** What a transition writes besides the status. */
export interface TransitionPatch {
  execution?: ExecutionRecord;
  error?: OperationError;
  result?: ResultSummaryCore;
  reason?: string;
  resumed?: StatusChange['resumed'];
}

/** The `status` event of a transition: from, to, and why when the rules decided something the caller did not ask. */
export function statusChange(from: OperationStatus, to: OperationStatus, patch: TransitionPatch): StatusChange {
  const change: { -readonly [K in keyof StatusChange]: StatusChange[K] } = { from, to };
  const reason = patch.reason ?? cancellingOutcomeReason(from, to, patch);
  if (reason !== undefined) change.reason = reason;
  // A failure while cancelling ends as `cancelled`; its cause is kept here since the record has no error then.
  if (patch.error && (to === 'failed' || to === 'cancelled')) change.error = patch.error;
  if (patch.resumed) change.resumed = patch.resumed;
  return change;
}

/** Why a run that was being cancelled ended the way it did; the cancel rules in `transitions.ts`. */
function cancellingOutcomeReason(from: OperationStatus, to: OperationStatus, patch: TransitionPatch): string | undefined {
  if (from !== 'cancelling') return undefined;
  if (to === 'completed') return 'the model was saved before the cancel took effect';
  if (patch.error) return 'the run failed after cancel was requested';
  if (patch.result) return 'the run ended without a saved model after cancel was requested';
  return undefined;
}

export function refusal(id: string, name: TransitionName, current: OperationStatus | null): KtrdrError {
  if (current === null) return notFound(id);
  const details = { id, status: current, action: name };
  if (isTerminal(current)) {
    return new KtrdrError('OPERATION_FINISHED', `operation ${id} is already ${current}`, { details });
  }
  return new KtrdrError('INVALID_TRANSITION', `cannot ${name} operation ${id} while it is ${current}`, { details });
}

export function notFound(id: string): KtrdrError {
  return new KtrdrError('OPERATION_NOT_FOUND', `no operation with id ${id}`, {
    details: { id },
    hint: 'list operations with `ktrdr ops`',
  });
}
