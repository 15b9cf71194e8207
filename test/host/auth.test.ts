import { describe, expect, it } from 'vitest';
import { bearerTokenCheck } from '../../src/host/auth.js';

describe(bearerTokenCheck.name, () => {
  it('should accept exactly the bearer token', () => {
    const check = bearerTokenCheck('s3cret');
    expect(check('Bearer s3cret')).toBe(true);
    expect(check('bearer s3cret')).toBe(true);
    for (const header of [undefined, '', 'Bearer', 'Bearer ', 'Bearer s3cre', 'Bearer s3cret2', 'Basic s3cret', 's3cret']) {
      expect(check(header)).toBe(false);
    }
  });
});
