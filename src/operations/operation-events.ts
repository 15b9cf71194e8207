import type { Operation, OperationEvent } from './operation.js';

export interface OperationEventMap {
  /** Every event the store persisted, in `seq` order, after its transaction committed. */
  event: [event: OperationEvent];
  /** An operation reached a terminal status (after its final `status` event). */
  finished: [operation: Operation];
  /** A listener threw; the store carried on. */
  error: [error: unknown];
}

export type EventName = keyof OperationEventMap;
export type Listener<K extends EventName> = (...args: OperationEventMap[K]) => void;
export type Unsubscribe = () => void;

/** Handlers for one operation; what an SSE stream or a CLI follower needs. */
export interface OperationSubscription {
  onEvent?: (event: OperationEvent) => void;
  onFinished?: (operation: Operation) => void;
}

/**
 * In-process notifications fed by the operation store, so followers are pushed new events instead of polling.
 *
 * Only persisted events are published, each with its `seq`, so a follower that reconnects with the last `seq` it saw
 * can catch up from `eventsSince` and then continue live. To miss nothing, subscribe first, then read
 * `eventsSince(lastSeq)`, and skip live events whose `seq` is not above the last one sent.
 *
 * Delivery is synchronous and happens after the store's write committed. A throwing listener is isolated: the
 * error goes to `error` listeners (or to `onUnhandledError` when there are none) and the remaining listeners and
 * the store's caller are unaffected.
 */
export class OperationEvents {
  private readonly listeners: { [K in EventName]: Set<Listener<K>> } = { event: new Set(), finished: new Set(), error: new Set() };
  private readonly byOperation = new Map<string, Set<OperationSubscription>>();

  constructor(private readonly onUnhandledError: (error: unknown) => void = warnListenerError) {}

  /** Listens to every operation. */
  on<K extends EventName>(name: K, listener: Listener<K>): Unsubscribe {
    const set = this.listeners[name] as Set<Listener<K>>;
    set.add(listener);
    return () => set.delete(listener);
  }

  /** Listens to one operation's events and its terminal transition. */
  subscribe(operationId: string, subscription: OperationSubscription): Unsubscribe {
    let set = this.byOperation.get(operationId);
    if (!set) {
      set = new Set();
      this.byOperation.set(operationId, set);
    }
    set.add(subscription);
    return () => {
      set.delete(subscription);
      // Subscriptions come and go with each SSE client; drop empty entries so finished operations cost nothing.
      if (set.size === 0 && this.byOperation.get(operationId) === set) this.byOperation.delete(operationId);
    };
  }

  /** Number of per-operation subscriptions (all operations when no id is given). */
  subscriberCount(operationId?: string): number {
    if (operationId !== undefined) return this.byOperation.get(operationId)?.size ?? 0;
    let total = 0;
    for (const set of this.byOperation.values()) total += set.size;
    return total;
  }

  /** @internal Called by the store after a commit. */
  publishEvent(event: OperationEvent): void {
    for (const listener of [...this.listeners.event]) this.call(() => listener(event));
    const subscriptions = this.byOperation.get(event.operation_id);
    if (!subscriptions) return;
    for (const subscription of [...subscriptions]) {
      if (subscription.onEvent) this.call(() => subscription.onEvent?.(event));
    }
  }

  /** @internal Called by the store after a terminal transition committed. */
  publishFinished(operation: Operation): void {
    for (const listener of [...this.listeners.finished]) this.call(() => listener(operation));
    const subscriptions = this.byOperation.get(operation.id);
    if (!subscriptions) return;
    for (const subscription of [...subscriptions]) {
      if (subscription.onFinished) this.call(() => subscription.onFinished?.(operation));
    }
  }

  private call(deliver: () => void): void {
    try {
      deliver();
    } catch (error) {
      this.reportListenerError(error);
    }
  }

  private reportListenerError(error: unknown): void {
    if (this.listeners.error.size === 0) {
      this.onUnhandledError(error);
      return;
    }
    for (const listener of [...this.listeners.error]) {
      try {
        listener(error);
      } catch (secondary) {
        // An error handler that throws must not recurse into itself.
        this.onUnhandledError(secondary);
      }
    }
  }
}

function warnListenerError(error: unknown): void {
  const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
  process.emitWarning(`operation event listener threw: ${message}`, 'OperationEventsWarning');
}
