import { setImmediate as yieldToEventLoop } from 'node:timers/promises';

/**
 * Longest stretch of synchronous work between yields to the event loop. Training in a worker thread learns of a
 * cancel through a message, and a message (or a timer) is only delivered when the loop runs, so this bounds the
 * cancel latency. A yield costs microseconds, so the overhead is well under 1%.
 */
const MAX_BLOCKING_MS = 10;

/**
 * The clock runs across calls: with small data an epoch takes under a millisecond, and a per-call clock would then
 * never yield at all (a Ctrl+C in the CLI, whose signal handler also needs the loop, went unnoticed for thousands of
 * epochs). One per backend instance.
 */
export class EventLoopYield {
  private lastYield = performance.now();

  /** True once `MAX_BLOCKING_MS` of work has passed since the event loop last ran (checked inline: no await per batch). */
  due(): boolean {
    return performance.now() - this.lastYield >= MAX_BLOCKING_MS;
  }

  async now(): Promise<void> {
    await yieldToEventLoop();
    this.lastYield = performance.now();
  }
}
