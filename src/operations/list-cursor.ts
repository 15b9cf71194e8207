import { KtrdrError } from '../errors.js';

/** Position after the last item of a page: lists are ordered by (created_at, id), newest first. */
export interface ListPosition {
  readonly created_at: string;
  readonly id: string;
}

/**
 * Opaque to clients. Keyset rather than offset, so a page boundary does not shift when new operations arrive
 * while someone is paging.
 */
export function encodeListCursor(position: ListPosition): string {
  return Buffer.from(JSON.stringify([position.created_at, position.id]), 'utf8').toString('base64url');
}

export function decodeListCursor(cursor: string): ListPosition {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    parsed = undefined;
  }
  if (!Array.isArray(parsed) || parsed.length !== 2 || typeof parsed[0] !== 'string' || typeof parsed[1] !== 'string') {
    throw new KtrdrError('VALIDATION_FAILED', 'invalid list cursor', {
      details: { cursor },
      hint: 'pass the next_cursor value of a previous page unchanged',
    });
  }
  return { created_at: parsed[0], id: parsed[1] };
}
