import { randomBytes } from 'node:crypto';

/** `op_training_20250117_120000_ab12cd34`: sortable by time at a glance, unique by its random tail. */
export function newOperationId(now: Date): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', '_').slice(0, 15);
  return `op_training_${stamp}_${randomBytes(4).toString('hex')}`;
}
