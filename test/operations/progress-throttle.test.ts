import { describe, expect, it } from 'vitest';
import { ProgressThrottle } from '../../src/operations/progress-throttle.js';
import { progressAt } from './builders.js';

describe(ProgressThrottle.name, () => {
  function setup(intervalMs = 250) {
    let now = 0;
    const sut = new ProgressThrottle(intervalMs, () => now);
    return { sut, advance: (ms: number) => (now += ms) };
  }

  it('should pass the first snapshot, hold those inside the interval and pass the next one after it', () => {
    const { sut, advance } = setup();
    expect(sut.offer('a', progressAt(1))).toBe(true);
    advance(100);
    expect(sut.offer('a', progressAt(2))).toBe(false);
    advance(149);
    expect(sut.offer('a', progressAt(3))).toBe(false);
    advance(1);
    expect(sut.offer('a', progressAt(4))).toBe(true);
  });

  it('should throttle each operation on its own', () => {
    const { sut } = setup();
    expect(sut.offer('a', progressAt(1))).toBe(true);
    expect(sut.offer('b', progressAt(1))).toBe(true);
    expect(sut.offer('a', progressAt(2))).toBe(false);
  });

  it('should pass a step change and 100 % at once', () => {
    const { sut } = setup();
    sut.offer('a', progressAt(1, { step: 'train' }));
    expect(sut.offer('a', progressAt(96, { step: 'evaluate' }))).toBe(true);
    expect(sut.offer('a', progressAt(100, { step: 'evaluate' }))).toBe(true);
  });

  it('should hand back only the newest held snapshot on flush and then forget the operation', () => {
    const { sut } = setup();
    sut.offer('a', progressAt(1));
    sut.offer('a', progressAt(2));
    sut.offer('a', progressAt(3));
    expect(sut.operationsWithHeldProgress()).toEqual(['a']);
    expect(sut.flush('a')).toEqual(progressAt(3));
    expect(sut.flush('a')).toBeUndefined();
    expect(sut.offer('a', progressAt(4))).toBe(true); // forgotten: counts as a first snapshot again
    expect(sut.operationsWithHeldProgress()).toEqual([]);
  });

  it('should pass everything with a zero interval', () => {
    const { sut } = setup(0);
    expect([1, 2, 3].map((p) => sut.offer('a', progressAt(p)))).toEqual([true, true, true]);
  });
});
