import { randomBytes } from 'node:crypto';
import type { OperationType } from '../operations/operation.js';

/** `op_training_20250117_120000_ab12cd34`: the type and time readable at a glance, unique by its random tail. */
export function newOperationId(now: Date, type: OperationType = 'training'): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', '_').slice(0, 15);
  return `op_${type}_${stamp}_${randomBytes(4).toString('hex')}`;
}
