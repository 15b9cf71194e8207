import { KtrdrError } from '../errors.js';
import type { ExecutionMode, ExecutionRecord } from '../operations/operation.js';
import type { Executor } from './executor.js';

export interface ExecutionRequest {
  readonly mode: ExecutionMode;
  readonly requireGpu: boolean;
}

/**
 * Chooses where a run goes and records why. Only local execution exists so far (training hosts come later and will
 * join this decision), so every request lands locally unless it insists on a GPU that nothing here has: that is
 * refused up front, with nothing started, rather than silently run on the CPU.
 */
export function selectExecution(request: ExecutionRequest, local: Pick<Executor, 'device' | 'gpu'>): ExecutionRecord {
  if (request.requireGpu && !local.gpu) {
    throw new KtrdrError('HOST_UNAVAILABLE', `require_gpu is set, but no GPU training host is configured and local training runs on ${local.device}`, {
      details: { execution_mode: request.mode, require_gpu: true, hosts: 0, local_device: local.device },
      hint: 'configure a GPU training host, or start without require_gpu to train locally',
    });
  }
  const chosen = (reason: string): ExecutionRecord => ({ requested: request.mode, selected: 'local', reason, device: local.device });
  switch (request.mode) {
    case 'local':
      return chosen('local execution requested');
    case 'auto':
      return chosen('auto: no training hosts are configured, so the run is local');
    case 'host':
      return chosen('host requested, but no training hosts are configured; fell back to local execution');
    default: {
      const unknown: never = request.mode;
      throw new Error(`unknown execution mode ${String(unknown)}`);
    }
  }
}
