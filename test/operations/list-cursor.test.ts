import { describe, expect, it } from 'vitest';
import { decodeListCursor, encodeListCursor } from '../../src/operations/list-cursor.js';

describe('list cursor', () => {
  it('should round-trip a position as a URL-safe string', () => {
    const position = { created_at: '2025-01-01T00:00:00.123Z', id: '0b5a1d7e-1c1f-4f7e-9b8a-1234567890ab' };
    const cursor = encodeListCursor(position);
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeListCursor(cursor)).toEqual(position);
  });

  it('should refuse anything it did not produce with VALIDATION_FAILED', () => {
    for (const bad of ['', '!!!', Buffer.from('{"a":1}').toString('base64url'), Buffer.from('[1,"x"]').toString('base64url')]) {
      expect(() => decodeListCursor(bad)).toThrow(expect.objectContaining({ code: 'VALIDATION_FAILED' }));
    }
  });
});
