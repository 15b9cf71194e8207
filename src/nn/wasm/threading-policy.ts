/** Threaded batches whose times are compared, together, with what this thread alone would have taken. */
const WINDOW_BATCHES = 16;
/**
 * How much longer than alone the threads must have taken for a window to count as lost: the host's noise makes some
 * windows on a quiet machine a little slower than alone, and those are not worth leaving the threads for.
 */
const LOSS_MARGIN = 1.25;
/** Batches computed alone after the first window the threads lost; each further loss doubles it, up to the maximum. */
const FIRST_SOLO_BATCHES = 64;
const MAX_SOLO_BATCHES = 4096;

/**
 * Decides, batch by batch, whether a run's gradient workers are worth waiting for. The threads meet once per batch, so
 * when other processes keep the cores busy a worker descheduled in the middle of a micro-batch holds up a batch for
 * milliseconds, and a run on two threads went 1.6× slower than on one. Over each window of WINDOW_BATCHES threaded
 * batches the policy adds up their times and what this thread would have taken alone (its own micro-batches' pace
 * times each batch's); if the threads clearly lost, the backend computes the next batches alone, then tries the threads
 * again, staying alone longer each time they lose again. Which thread computes a micro-batch changes no bit
 * (reduction-tree.ts), so this moves only time.
 */
export class ThreadingPolicy {
  private windowBatches = 0;
  private threadedMs = 0;
  private aloneMs = 0;
  private soloBatches = FIRST_SOLO_BATCHES;
  private soloLeft = 0;

  /** Whether the next batch goes to the threads (false: the backend computes it alone). */
  useThreads(): boolean {
    if (this.soloLeft === 0) return true;
    this.soloLeft -= 1;
    return false;
  }

  /**
   * A batch of `microBatches` computed on threads took `elapsedMs`; the backend computed `ownMicroBatches` of them in
   * `ownMs` of it. A batch the workers computed entirely gives no pace, and counts as won.
   */
  record(elapsedMs: number, ownMs: number, ownMicroBatches: number, microBatches: number): void {
    this.threadedMs += elapsedMs;
    this.aloneMs += ownMicroBatches > 0 ? (ownMs / ownMicroBatches) * microBatches : elapsedMs;
    this.windowBatches += 1;
    if (this.windowBatches < WINDOW_BATCHES) return;
    const lost = this.threadedMs > LOSS_MARGIN * this.aloneMs;
    this.windowBatches = 0;
    this.threadedMs = 0;
    this.aloneMs = 0;
    if (!lost) {
      this.soloBatches = FIRST_SOLO_BATCHES;
      return;
    }
    this.soloLeft = this.soloBatches;
    this.soloBatches = Math.min(MAX_SOLO_BATCHES, 2 * this.soloBatches);
  }
}
