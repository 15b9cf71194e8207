/**
 * The fixed pairwise tree that sums a batch's micro-batch gradients: 0 += 1, 2 += 3, …, then 0 += 2, 4 += 6, …, until
 * slot 0 holds the sum. The additions depend on the micro-batch count alone, so the sum does not depend on which
 * thread computed which micro-batch.
 *
 * An aligned block of 2^k consecutive micro-batches (the last one cut short by the end of the batch) is a subtree:
 * below stride 2^k no addition crosses a block's edge, and above it the tree adds block sums exactly as a tree over the
 * blocks would. So a thread that computes a whole block sums it itself and hands over one gradient, not one per
 * micro-batch, and the result has the same bits.
 */
export function sumPairwise(count: number, addInto: (target: number, source: number) => void): void {
  for (let stride = 1; stride < count; stride *= 2) {
    for (let j = 0; j + stride < count; j += 2 * stride) addInto(j, j + stride);
  }
}

/**
 * The same tree, added up while blocks are still being computed: a thread that has summed block `block` of `count`
 * calls this and climbs. At each node the first of its two children to arrive stops there, and the second adds the
 * right child's sum into the left one's and goes on up. The additions are sumPairwise's, made in the same places
 * whoever makes them, so the bits do not change; they run on whichever thread finished second, and only the few on the
 * last block's path wait for it. `secondToArrive(level, left)` counts an arrival at the node of `level` whose left
 * child is `left` (atomically, across threads) and says whether it was the second. Returns true for the thread that
 * made the root's addition (or had the only block): slot 0 then holds the sum.
 */
export function sumOnArrival(
  block: number,
  count: number,
  secondToArrive: (level: number, left: number) => boolean,
  addInto: (target: number, source: number) => void,
): boolean {
  let node = block;
  for (let stride = 1, level = 0; stride < count; stride *= 2, level++) {
    const left = node - (node % (2 * stride));
    const right = left + stride;
    // No right sibling: the node is a left child and passes up unchanged, as in sumPairwise.
    if (right >= count) continue;
    if (!secondToArrive(level, left)) return false;
    addInto(left, right);
    node = left;
  }
  return true;
}

/** The tree's levels above `count` leaves. */
export function treeLevels(count: number): number {
  return Math.ceil(Math.log2(Math.max(1, count)));
}
