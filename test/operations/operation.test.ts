import { describe, expect, it } from 'vitest';
import { KtrdrError } from '../../src/errors.js';
import { toOperationError } from '../../src/operations/operation.js';

describe(toOperationError.name, () => {
  it('should keep the code of a KtrdrError and use the fallback code otherwise', () => {
    expect(toOperationError(new KtrdrError('DATA_NOT_FOUND', 'no SPX 1h data'))).toEqual({ code: 'DATA_NOT_FOUND', message: 'no SPX 1h data' });
    expect(toOperationError(new TypeError('x is undefined'))).toEqual({ code: 'TRAINING_FAILED', message: 'x is undefined' });
    expect(toOperationError('plain string', 'INTERNAL')).toEqual({ code: 'INTERNAL', message: 'plain string' });
  });
});
