import { describe, expect, it } from 'vitest';
import { ThreadingPolicy } from '../../src/nn/wasm/threading-policy.js';

/** Batches the policy keeps off the threads from now until it next offers them. */
function soloRun(sut: ThreadingPolicy): number {
  let solo = 0;
  while (!sut.useThreads()) solo += 1;
  return solo;
}

/** Threaded batches of 8 micro-batches, 4 of them here at 0.1 ms each: alone, 0.8 ms. */
const fast = (sut: ThreadingPolicy) => sut.record(0.5, 0.4, 4, 8);
/** One held up by a descheduled worker. */
const heldUp = (sut: ThreadingPolicy) => sut.record(3, 0.4, 4, 8);

function window(sut: ThreadingPolicy, heldUpBatches: number): void {
  for (let batch = 0; batch < 16; batch++) {
    expect(sut.useThreads()).toBe(true);
    if (batch < heldUpBatches) heldUp(sut);
    else fast(sut);
  }
}

describe('ThreadingPolicy', () => {
  it('should keep the threads while, over a window of 16 batches, they are not clearly slower than this thread alone', () => {
    const sut = new ThreadingPolicy();
    // 16 × 0.8 ms alone = 12.8 ms, and a window is lost above 1.25 × that, 16 ms: 3 × 3 + 13 × 0.5 = 15.5 ms is not.
    for (let round = 0; round < 5; round++) window(sut, 3);
    expect(sut.useThreads()).toBe(true);
  });

  it('should compute alone after a window the threads lost, longer each time they lose again', () => {
    const sut = new ThreadingPolicy();
    // 4 × 3 + 12 × 0.5 = 18 ms.
    window(sut, 4);
    expect(soloRun(sut)).toBe(64);
    window(sut, 16);
    expect(soloRun(sut)).toBe(128);
    window(sut, 4);
    expect(soloRun(sut)).toBe(256);
  });

  it('should go back to the shortest pause once the threads win a window again', () => {
    const sut = new ThreadingPolicy();
    window(sut, 16);
    soloRun(sut);
    window(sut, 0);
    window(sut, 16);
    expect(soloRun(sut)).toBe(64);
  });

  it('should count a batch the workers computed entirely as won', () => {
    const sut = new ThreadingPolicy();
    for (let batch = 0; batch < 64; batch++) sut.record(2, 0.01, 0, 8);
    expect(sut.useThreads()).toBe(true);
  });
});
