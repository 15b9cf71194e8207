import { isTerminal, toOperationError, type Operation, type OperationError } from '../operations/operation.js';
import type { OperationStore } from '../operations/operation-store.js';
import type { StartTrainingParams, TrainingService } from '../trainings/training-service.js';
import type { Logger } from '../util/logger.js';

/** What a parent needs of the training service: its children are ordinary trainings, started and cancelled as any. */
export type ChildStarter = Pick<TrainingService, 'start' | 'cancel'>;

export interface ChildTrainingsDeps {
  readonly operations: OperationStore;
  readonly training: ChildStarter;
  readonly logger: Logger;
}

/** How one child ended: its final record, or why it could not be started. */
export type ChildEnd =
  | { readonly index: number; readonly operation: Operation; readonly error?: undefined }
  | { readonly index: number; readonly operation?: undefined; readonly error: OperationError };

export interface ChildTrainingsOptions {
  readonly parentId: string;
  /** In the order they are started. */
  readonly starts: readonly StartTrainingParams[];
  /** Children unfinished at once; the rest wait here, not in the executor's queue, so a cancel never has many to undo. */
  readonly maxParallel: number;
  /** Called once per child as it ends (or fails to start), before the next one takes its place. */
  readonly onStarted?: (index: number, operation: Operation) => void;
  readonly onEnd: (end: ChildEnd) => Promise<void> | void;
}

/**
 * The trainings of one sweep or walk-forward: started through the training service (so placement, models, cancel
 * and resume are those of any training), at most `maxParallel` unfinished at once. A child that fails, or cannot be
 * started, is reported and the others go on; `stop` starts nothing more and cancels the children still running.
 */
export class ChildTrainings {
  private next = 0;
  private stopped = false;
  private readonly unfinished = new Set<string>();
  private stopReason: string | undefined;

  constructor(
    private readonly deps: ChildTrainingsDeps,
    private readonly options: ChildTrainingsOptions,
  ) {}

  /** Resolves when no child is unfinished and none will be started. */
  async run(): Promise<void> {
    const lanes = Math.max(1, Math.min(this.options.maxParallel, this.options.starts.length));
    await Promise.all(Array.from({ length: lanes }, () => this.lane()));
  }

  /** Starts nothing more and cancels the unfinished children; `run` resolves once they have all ended. */
  stop(reason: string): void {
    if (this.stopped) return;
    this.stopped = true;
    this.stopReason = reason;
    for (const id of this.unfinished) this.cancelChild(id);
  }

  private async lane(): Promise<void> {
    while (!this.stopped && this.next < this.options.starts.length) {
      const index = this.next++;
      await this.runOne(index);
    }
  }

  private async runOne(index: number): Promise<void> {
    let started: Operation;
    try {
      started = await this.deps.training.start({ ...this.options.starts[index], parentId: this.options.parentId });
    } catch (error) {
      await this.options.onEnd({ index, error: toOperationError(error) });
      return;
    }
    this.unfinished.add(started.id);
    this.options.onStarted?.(index, started);
    // Stopped while this child was being started: it must not outlive the parent.
    if (this.stopped) this.cancelChild(started.id);
    const ended = await whenTerminal(this.deps.operations, started.id);
    this.unfinished.delete(started.id);
    await this.options.onEnd({ index, operation: ended });
  }

  private cancelChild(id: string): void {
    this.deps.training.cancel(id, this.stopReason).catch((error: unknown) => {
      // Already finished: nothing to cancel.
      this.deps.logger.debug({ operation_id: id, err: error }, `child ${id} was not cancelled`);
    });
  }
}

/** The operation's record once it has reached a terminal status (subscribed first, then read, so no end is missed). */
export function whenTerminal(operations: OperationStore, id: string): Promise<Operation> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const settle = (finish: () => void): void => {
      if (settled) return;
      settled = true;
      unsubscribe();
      finish();
    };
    const unsubscribe = operations.events.subscribe(id, { onFinished: (operation) => settle(() => resolve(operation)) });
    operations.get(id).then(
      (operation) => {
        if (isTerminal(operation.status)) settle(() => resolve(operation));
      },
      (error: unknown) => settle(() => reject(error instanceof Error ? error : new Error(String(error)))),
    );
  });
}
