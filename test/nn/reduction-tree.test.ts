import { describe, expect, it } from 'vitest';
import { sumOnArrival, sumPairwise } from '../../src/nn/wasm/reduction-tree.js';
import { SeededRandom } from '../../src/util/random.js';

/** Float32 sums of `values` with the tree, slot by slot, as the kernels add gradient buffers. */
function treeSum(values: readonly number[]): number {
  const slots = values.map(Math.fround);
  sumPairwise(slots.length, (target, source) => (slots[target] = Math.fround(slots[target] + slots[source])));
  return slots[0];
}

describe('sumPairwise', () => {
  it('should add 0+1, 2+3, … and then the pairs of pairs', () => {
    const additions: string[] = [];
    sumPairwise(5, (target, source) => additions.push(`${target}+=${source}`));
    expect(additions).toEqual(['0+=1', '2+=3', '0+=2', '0+=4']);
  });

  it('should give the same bits when aligned blocks are summed first, for every block size and count', () => {
    const rng = new SeededRandom(3);
    for (let count = 1; count <= 19; count++) {
      // Values of very different magnitudes, so that another order of additions would round differently.
      const values = Array.from({ length: count }, () => (rng.next() - 0.5) * 10 ** Math.floor(rng.next() * 8));
      const whole = treeSum(values);
      for (let size = 1; size <= 16; size *= 2) {
        const blockSums: number[] = [];
        for (let first = 0; first < count; first += size) blockSums.push(treeSum(values.slice(first, first + size)));
        expect(treeSum(blockSums)).toBe(whole);
      }
    }
  });
});

describe('sumOnArrival', () => {
  it('should make the additions of sumPairwise, whatever order the blocks arrive in, and end with one root', () => {
    const rng = new SeededRandom(9);
    for (let count = 1; count <= 19; count++) {
      const expected: string[] = [];
      sumPairwise(count, (target, source) => expected.push(`${target}+=${source}`));
      const values = Array.from({ length: count }, () => (rng.next() - 0.5) * 10 ** Math.floor(rng.next() * 8));
      for (let trial = 0; trial < 20; trial++) {
        const arrivalOrder = Array.from({ length: count }, (_, block) => block);
        rng.shuffle(arrivalOrder);
        const arrivals = new Map<string, number>();
        const slots = values.map(Math.fround);
        const additions: string[] = [];
        let roots = 0;
        for (const block of arrivalOrder) {
          const root = sumOnArrival(
            block,
            count,
            (level, left) => {
              const key = `${level}:${left}`;
              arrivals.set(key, (arrivals.get(key) ?? 0) + 1);
              return arrivals.get(key) === 2;
            },
            (target, source) => {
              additions.push(`${target}+=${source}`);
              slots[target] = Math.fround(slots[target] + slots[source]);
            },
          );
          if (root) roots += 1;
        }
        expect(roots).toBe(1);
        expect([...additions].sort()).toEqual([...expected].sort());
        expect(slots[0]).toBe(treeSum(values));
      }
    }
  });
});
