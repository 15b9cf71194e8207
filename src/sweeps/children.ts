import { LIST_LIMIT_MAX, type OperationStore } from '../operations/operation-store.js';
import type { Operation } from '../operations/operation.js';

/**
 * The trainings whose `request.parent_id` names `parent`, oldest first. Children are trainings of the parent's
 * strategy created after it, so the newest-first listing is read only back to the parent's creation.
 */
export async function findChildren(operations: OperationStore, parent: Operation): Promise<Operation[]> {
  const children: Operation[] = [];
  let cursor: string | undefined;
  for (;;) {
    const page = await operations.list({ type: 'training', strategy: parent.strategy, limit: LIST_LIMIT_MAX, cursor });
    for (const operation of page.data) if (operation.request.parent_id === parent.id) children.push(operation);
    const oldest = page.data[page.data.length - 1];
    if (page.next_cursor === null || oldest === undefined || oldest.created_at < parent.created_at) break;
    cursor = page.next_cursor;
  }
  return children.reverse();
}
