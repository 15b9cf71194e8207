import type { FastifyRequest } from 'fastify';
import { describe, expect, it } from 'vitest';
import { isKtrdrError } from '../../src/errors.js';
import { bearerTokenCheck, bearerTokenGuard } from '../../src/http/bearer-token.js';

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

describe(bearerTokenGuard.name, () => {
  const request = (authorization: string | undefined) => ({ headers: { authorization } }) as unknown as FastifyRequest;

  it('should let the right token through and refuse any other with UNAUTHORIZED and the given hint', () => {
    const guard = bearerTokenGuard('s3cret', 'send the secret');
    expect(() => guard(request('Bearer s3cret'))).not.toThrow();
    let thrown: unknown;
    try {
      guard(request('Bearer nope'));
    } catch (error) {
      thrown = error;
    }
    expect(isKtrdrError(thrown) && thrown.toBody()).toEqual({
      error: { code: 'UNAUTHORIZED', message: 'missing or wrong bearer token', hint: 'send the secret' },
    });
  });
});
