import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES, KtrdrError, errorFromBody } from '../src/errors.js';

describe('error registry', () => {
  it('should document every code in docs/errors.md and nothing else', () => {
    const doc = readFileSync(new URL('../docs/errors.md', import.meta.url), 'utf8');
    const documented = [...doc.matchAll(/^\| `([A-Z_]+)` \| (\d+) \|/gm)].map((m) => [m[1], Number(m[2])]);
    const registered = Object.entries(ERROR_CODES).map(([code, spec]) => [code, spec.status]);
    expect(documented).toEqual(registered);
  });

  it('should produce the one error body shape and survive a round trip', () => {
    const error = new KtrdrError('DATA_INVALID', 'bad row', { details: { line: 3 }, hint: 'fix the file' });
    expect(error.status).toBe(422);
    expect(error.toBody()).toEqual({ error: { code: 'DATA_INVALID', message: 'bad row', details: { line: 3 }, hint: 'fix the file' } });
    const back = errorFromBody(error.toBody().error);
    expect(back.code).toBe('DATA_INVALID');
    expect(errorFromBody({ code: 'NOPE', message: 'x' }).code).toBe('INTERNAL');
  });
});
