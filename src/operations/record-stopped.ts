import type { OperationStore } from './operation-store.js';

/**
 * Brings an operation to `cancelled` from wherever it is when its run stopped without being asked through the store
 * (shutdown, a worker that died): pending or running goes through `cancelling`, and a finished one stays as it is.
 */
export async function recordStopped(operations: OperationStore, id: string, reason = 'the run was stopped'): Promise<void> {
  const current = await operations.get(id);
  if (current.status === 'pending' || current.status === 'running') {
    const after = await operations.requestCancel(id, { reason });
    if (after.status !== 'cancelling') return;
  } else if (current.status !== 'cancelling') {
    return;
  }
  await operations.confirmCancelled(id);
}
