import type { AttachRequest } from '../execution/executor.js';
import type { Operation } from '../operations/operation.js';
import type { OperationStore } from '../operations/operation-store.js';
import type { Logger } from '../util/logger.js';
import type { RunRecorder } from './run-recorder.js';
import type { TrainingHosts } from './training-hosts.js';

export interface RestartRecoveryDeps {
  readonly operations: OperationStore;
  readonly hosts?: TrainingHosts;
  readonly recorder: RunRecorder;
  readonly logger: Logger;
}

/** Start-up recovery without hosts: what a previous process left unfinished cannot still be running here. */
export async function failInterrupted(deps: Pick<RestartRecoveryDeps, 'operations' | 'logger'>): Promise<Operation[]> {
  const failed = await deps.operations.failInterrupted();
  for (const operation of failed) deps.logger.warn({ operation_id: operation.id }, `operation ${operation.id} was interrupted by a restart`);
  return failed;
}

/**
 * Start-up recovery with training hosts: runs on a host that were dispatched (they have a remote reference) are
 * re-attached and followed to their end, so their model is still saved; everything else a previous process left
 * unfinished fails as INTERRUPTED.
 */
export async function resumeAfterRestart(deps: RestartRecoveryDeps): Promise<{ interrupted: Operation[]; reattached: Operation[] }> {
  const { operations, hosts, recorder, logger } = deps;
  const reattachable = (operation: Operation): boolean => hosts !== undefined && operation.execution.selected === 'host' && operation.remote !== null;
  const interrupted = await operations.failInterrupted((operation) => !reattachable(operation));
  for (const operation of interrupted) logger.warn({ operation_id: operation.id }, `operation ${operation.id} was interrupted by a restart`);
  const reattached: Operation[] = [];
  for (const operation of await operations.listUnfinished({ selected: 'host' })) {
    if (!reattachable(operation)) continue;
    const remote = operation.remote!;
    const attach: AttachRequest = {
      operationId: operation.id,
      runId: remote.run_id,
      cursor: typeof remote.cursor === 'number' ? remote.cursor : 0,
      started: operation.status !== 'pending',
      cancelRequested: operation.status === 'cancelling',
    };
    const executor = hosts!.executor(remote.host_url);
    recorder.launch(operation, (observer) => executor.attach(attach, observer), {
      hostUrl: remote.host_url,
      cancelRequested: attach.cancelRequested,
    });
    reattached.push(operation);
    logger.info({ operation_id: operation.id, host: remote.host_url }, `training ${operation.id} re-attached to its run on ${remote.host_url}`);
  }
  return { interrupted, reattached };
}
