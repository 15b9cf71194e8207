import { isTerminal, type EpochMetrics, type Operation, type OperationEvent } from '../../operations/operation.js';
import type { ListPage, ListQuery, OperationStore } from '../../operations/operation-store.js';
import type { LogLevel, LogRecord } from '../../util/logger.js';

/** Where a follower's events go; `end` is called once, after the operation's terminal `status` event. */
export interface EventSink {
  send(event: OperationEvent): void;
  end(): void;
}

export interface EpochMetricsView {
  readonly epochs: EpochMetrics[];
  readonly best_epoch: number | null;
  readonly best_val_loss: number | null;
}

const LEVEL_ORDER: Record<LogLevel, number> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60 };
const REPLAY_PAGE = 1000;

/** Read side of operations for the API: records, pages, logs, metrics, and live event streams. */
export class OperationQueries {
  constructor(private readonly store: OperationStore) {}

  get(id: string): Promise<Operation> {
    return this.store.get(id);
  }

  list(query: ListQuery): Promise<ListPage> {
    return this.store.list(query);
  }

  /** The flat epoch list, plus the epoch with the lowest validation loss (computed the same way for every run). */
  async metrics(id: string, sinceEpoch = 0): Promise<EpochMetricsView> {
    const all = await this.store.metrics(id);
    let best: EpochMetrics | null = null;
    for (const record of all) {
      if (typeof record.val_loss !== 'number') continue;
      if (best === null || record.val_loss < (best.val_loss as number)) best = record;
    }
    return {
      epochs: all.filter((record) => record.epoch > sinceEpoch),
      best_epoch: best?.epoch ?? null,
      best_val_loss: (best?.val_loss as number | undefined) ?? null,
    };
  }

  async logs(id: string, minLevel: LogLevel = 'debug'): Promise<LogRecord[]> {
    const threshold = LEVEL_ORDER[minLevel];
    return (await this.store.logs(id)).filter((record) => (LEVEL_ORDER[record.level] ?? 30) >= threshold);
  }

  /**
   * Streams an operation's events after `afterSeq` into `sink`, without gaps or duplicates: subscribe first, replay
   * the stored log, then forward live events above the last seq sent; end after the terminal status. Throws
   * OPERATION_NOT_FOUND before anything is sent. Returns a function that stops the stream early (client gone).
   */
  async follow(id: string, afterSeq: number, sink: EventSink): Promise<() => void> {
    await this.store.get(id);
    let last = afterSeq;
    let live = false;
    let ended = false;
    let finishedSeen = false;
    const buffered: OperationEvent[] = [];
    const deliver = (event: OperationEvent): void => {
      if (ended || event.seq <= last) return;
      last = event.seq;
      sink.send(event);
    };
    const finish = (): void => {
      if (ended) return;
      ended = true;
      unsubscribe();
      sink.end();
    };
    const unsubscribe = this.store.events.subscribe(id, {
      onEvent: (event) => (live ? deliver(event) : buffered.push(event)),
      onFinished: () => {
        finishedSeen = true;
        if (live) finish();
      },
    });
    try {
      for (;;) {
        const page = await this.store.eventsSince(id, last, { limit: REPLAY_PAGE });
        for (const event of page) deliver(event);
        if (page.length < REPLAY_PAGE) break;
      }
      for (const event of buffered.splice(0)) deliver(event);
      live = true;
      if (finishedSeen || isTerminal((await this.store.get(id)).status)) finish();
    } catch (error) {
      unsubscribe();
      throw error;
    }
    return () => {
      ended = true;
      unsubscribe();
    };
  }
}
