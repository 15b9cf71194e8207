/**
 * Waits that `wake` ends early. A wake-up that comes while nothing waits is kept and ends the next wait at once: the
 * loop was busy when something happened (a cancel, a pushed result) and must look at it before it waits again.
 */
export class WakeableSleep {
  private wakeWaiter: (() => void) | undefined;
  private wokenEarly = false;

  sleep(ms: number): Promise<void> {
    if (this.wokenEarly) {
      this.wokenEarly = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        if (this.wakeWaiter === done) this.wakeWaiter = undefined;
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, ms));
      this.wakeWaiter = done;
    });
  }

  wake(): void {
    const waiter = this.wakeWaiter;
    this.wakeWaiter = undefined;
    if (waiter !== undefined) waiter();
    else this.wokenEarly = true;
  }
}
