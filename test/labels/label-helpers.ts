import { KtrdrError } from '../../src/errors.js';

/** The KtrdrError `fn` throws (fails the test when it throws something else or nothing). */
export function errorOf(fn: () => unknown): KtrdrError {
  try {
    fn();
  } catch (error) {
    if (error instanceof KtrdrError) return error;
    throw error;
  }
  throw new Error('expected a KtrdrError');
}

/** Typed-array labels as a plain list, NaN kept (toEqual treats NaN as equal to NaN). */
export function list(values: ArrayLike<number>): number[] {
  return Array.from(values);
}
