import { isTerminal, type OperationStatus } from '../operations/operation.js';
import type { Output } from './progress-display.js';

/** Where a sweep or walk-forward runs: a server through its API, or this process's embedded backend. */
export interface ParentRunner<R> {
  report(id: string): Promise<R>;
  cancel(id: string, reason: string): Promise<void>;
}

export interface FollowParentOptions<R> {
  readonly statusOf: (report: R) => { status: OperationStatus; message: string | null };
  /** Progress lines go here (stderr, so stdout stays the table or JSON). */
  readonly progressOut: Output;
  /** @defaultValue 500 ms */
  readonly pollMs?: number;
}

/**
 * Polls the parent until it ends, printing its progress message as it changes. The first Ctrl+C cancels it (and with
 * it its trainings); the report is then awaited until the cancel is recorded.
 */
export async function followParent<R>(runner: ParentRunner<R>, id: string, options: FollowParentOptions<R>): Promise<R> {
  let cancelled = false;
  const onInterrupt = (): void => {
    if (cancelled) return;
    cancelled = true;
    options.progressOut.write(`Cancelling ${id} and its trainings…\n`);
    runner.cancel(id, 'cancelled from the CLI').catch((error: unknown) => options.progressOut.write(`cancel failed: ${String(error)}\n`));
  };
  process.on('SIGINT', onInterrupt);
  let shown: string | null = null;
  try {
    for (;;) {
      const report = await runner.report(id);
      const { status, message } = options.statusOf(report);
      if (message !== null && message !== shown) {
        options.progressOut.write(`${message}\n`);
        shown = message;
      }
      if (isTerminal(status)) return report;
      await new Promise((resolve) => setTimeout(resolve, options.pollMs ?? 500));
    }
  } finally {
    process.off('SIGINT', onInterrupt);
  }
}

/** Exit code of a finished parent: as for a followed training (0 completed, 1 failed, 130 cancelled). */
export function parentExitCode(status: OperationStatus): number {
  return status === 'completed' ? 0 : status === 'cancelled' ? 130 : 1;
}
