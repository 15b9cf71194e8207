import type { Health } from '../../contracts/health.js';
import type { Executor } from '../../execution/executor.js';
import type { OperationStore } from '../../operations/operation-store.js';
import { packageVersion } from '../../util/package-info.js';

/** What `GET /health` reports: liveness plus the numbers an operator checks first. */
export class HealthReporter {
  private readonly startedAt: number;

  constructor(
    private readonly operations: OperationStore,
    private readonly executor: Executor,
    private readonly now: () => number = Date.now,
  ) {
    this.startedAt = now();
  }

  async report(): Promise<Health> {
    const counts = await this.operations.countByStatus();
    const capacity = this.executor.capacity();
    return {
      status: 'ok',
      version: packageVersion(),
      uptime_seconds: Math.round((this.now() - this.startedAt) / 100) / 10,
      operations: { pending: counts.pending, running: counts.running, cancelling: counts.cancelling },
      local: { device: this.executor.device, slots: capacity.slots, running: capacity.running, queued: capacity.queued },
    };
  }
}
