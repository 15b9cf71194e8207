import type { HostEvent } from '../contracts/host-protocol.js';

export type HostEventKind = HostEvent['kind'];

/**
 * What one run reported, for the backend to poll with a cursor. Logs and metrics are kept in full for as long as the
 * run is kept: they are what the backend copies into the operation, and a backend that restarts polls again from 0.
 * Progress is a snapshot, so only the latest is kept; a new one supersedes the old under a new `seq`.
 *
 * That bounds the list by construction: one metric per epoch (at most 100 000 by the start request's schema), the
 * pipeline's info-level lines (a handful per step), one progress event and one `started`.
 */
export class RunEventLog {
  private readonly events: HostEvent[] = [];
  private lastSeq = 0;
  private progressAt = -1;

  append(kind: HostEventKind, data: Record<string, unknown>): void {
    if (kind === 'progress' && this.progressAt >= 0) this.events.splice(this.progressAt, 1);
    this.events.push({ seq: ++this.lastSeq, kind, data });
    if (kind === 'progress') this.progressAt = this.events.length - 1;
  }

  /** Events with `seq > after`, oldest first, at most `limit`; `nextCursor` is what to pass as `after` next time. */
  read(after: number, limit: number): { events: HostEvent[]; nextCursor: number } {
    const from = this.firstAfter(after);
    const events = this.events.slice(from, from + limit);
    return { events, nextCursor: events.length > 0 ? events[events.length - 1].seq : after };
  }

  get size(): number {
    return this.events.length;
  }

  /** Binary search: seqs increase along the list. */
  private firstAfter(after: number): number {
    let low = 0;
    let high = this.events.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (this.events[mid].seq <= after) low = mid + 1;
      else high = mid;
    }
    return low;
  }
}
