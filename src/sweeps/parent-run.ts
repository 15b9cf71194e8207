import type { JsonObject, Operation, ResultSummaryCore } from '../operations/operation.js';
import { TOTAL_STEPS, stepIndex } from '../training/steps.js';
import { ChildTrainings, type ChildEnd, type ChildTrainingsDeps } from './child-trainings.js';
import type { StartTrainingParams } from '../trainings/training-service.js';

export interface ParentRunOptions {
  /** Already `running`. */
  readonly parent: Operation;
  readonly starts: readonly StartTrainingParams[];
  readonly maxParallel: number;
  /** What the progress message counts: `3/30 trainings finished`. */
  readonly noun: string;
  /** The parent's own use of a child's end (a backtest of its model, …), before progress is recorded. */
  readonly onEnd?: (end: ChildEnd) => Promise<void> | void;
  /** The parent's result once every child has ended and it was not cancelled. */
  readonly complete: () => Promise<ResultSummaryCore & JsonObject>;
}

/**
 * The lifecycle every parent operation (sweep, walk-forward) shares: its children run through `ChildTrainings`, its
 * progress is children ended / total, a cancel of the parent stops them, and it ends `cancelled` once they have all
 * stopped, or `completed` with `complete()`'s result. Resolves when the parent's end is recorded.
 */
export function runParent(deps: ChildTrainingsDeps, options: ParentRunOptions): Promise<void> {
  const { operations, logger } = deps;
  const { parent, starts, noun } = options;
  const id = parent.id;
  const total = starts.length;
  let ended = 0;
  let failed = 0;
  const children = new ChildTrainings(deps, {
    parentId: id,
    starts,
    maxParallel: options.maxParallel,
    onEnd: async (end) => {
      await options.onEnd?.(end);
      ended++;
      if (end.error !== undefined || end.operation.status === 'failed') failed++;
      const percent = Math.round((10_000 * ended) / total) / 100;
      const message = `${ended}/${total} ${noun} finished${failed > 0 ? ` (${failed} failed)` : ''}`;
      await operations
        .recordProgress(id, { percent, step: 'train', step_index: stepIndex('train'), total_steps: TOTAL_STEPS, message })
        .catch((error: unknown) => logger.debug({ operation_id: id, err: error }, `${parent.type} ${id}: progress not recorded`));
    },
  });
  // Subscribed before the children start, so a cancel can never slip between the two.
  const unsubscribe = operations.events.subscribe(id, {
    onEvent: (event) => {
      if (event.kind === 'status' && event.data.to === 'cancelling') children.stop(event.data.reason ?? `${parent.type} ${id} was cancelled`);
    },
    onFinished: () => children.stop(`${parent.type} ${id} ended`),
  });
  const finish = async (): Promise<void> => {
    if ((await operations.get(id)).status === 'cancelling') {
      await operations.confirmCancelled(id);
      logger.info({ operation_id: id }, `${parent.type} ${id} cancelled`);
      return;
    }
    const done = await operations.markCompleted(id, await options.complete());
    logger.info({ operation_id: id }, `${parent.type} ${id} ${done.status}`);
  };
  return children
    .run()
    .then(finish)
    .catch(async (error: unknown) => {
      logger.error({ operation_id: id, err: error }, `${parent.type} ${id}: recording its end failed`);
      const message = `recording the ${parent.type}'s end failed: ${error instanceof Error ? error.message : String(error)}`;
      await operations.markFailed(id, { code: 'INTERNAL', message }).catch(() => undefined);
    })
    .finally(unsubscribe);
}
