import { KtrdrError } from '../errors.js';
import type { OperationStore } from '../operations/operation-store.js';

/**
 * The parent operations (sweeps, walk-forwards) this process is scheduling, with what each keeps in memory while it
 * runs. Closing refuses new ones and cancels the running ones through the store, which stops their children, then
 * waits until each has recorded its end.
 */
export class ParentRuns<S> {
  private readonly runs = new Map<string, { readonly state: S; readonly finished: Promise<void> }>();
  private closing = false;

  /** `what`: how a refusal names the kind, e.g. `sweeps`. */
  constructor(
    private readonly operations: Pick<OperationStore, 'requestCancel'>,
    private readonly what: string,
  ) {}

  /** SHUTTING_DOWN once `close` has begun. */
  refuseIfClosing(): void {
    if (this.closing) throw new KtrdrError('SHUTTING_DOWN', `the server is shutting down; no new ${this.what} are accepted`);
  }

  /** Follows a started parent until `finished` settles. */
  add(id: string, state: S, finished: Promise<void>): void {
    this.runs.set(id, { state, finished: finished.finally(() => this.runs.delete(id)) });
  }

  /** What the running parent keeps in memory; undefined once it has ended (or for one another process ran). */
  state(id: string): S | undefined {
    return this.runs.get(id)?.state;
  }

  /** Resolves when the parent (if this process runs it) has recorded its end. */
  async whenFinished(id: string): Promise<void> {
    await this.runs.get(id)?.finished;
  }

  async close(reason: string): Promise<void> {
    this.closing = true;
    const running = [...this.runs.entries()];
    for (const [id] of running) await this.operations.requestCancel(id, { reason }).catch(() => undefined);
    await Promise.all(running.map(([, run]) => run.finished));
  }
}
