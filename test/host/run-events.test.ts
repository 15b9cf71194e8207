import { describe, expect, it } from 'vitest';
import { RunEventLog } from '../../src/host/run-events.js';

describe(RunEventLog.name, () => {
  it('should keep every log and metric but only the latest progress', () => {
    const log = new RunEventLog();
    log.append('started', { device: 'cpu' });
    log.append('progress', { percent: 1 });
    log.append('progress', { percent: 2 });
    log.append('log', { msg: 'a' });
    log.append('progress', { percent: 3 });
    log.append('metric', { epoch: 1 });
    log.append('metric', { epoch: 2 });
    log.append('progress', { percent: 4 });
    const { events, nextCursor } = log.read(0, 100);
    expect(events.map((e) => [e.seq, e.kind])).toEqual([
      [1, 'started'],
      [4, 'log'],
      [6, 'metric'],
      [7, 'metric'],
      [8, 'progress'],
    ]);
    expect(events[4].data).toEqual({ percent: 4 });
    expect(nextCursor).toBe(8);
  });

  it('should read after a cursor, within a limit, and keep the cursor when nothing is new', () => {
    const log = new RunEventLog();
    for (let i = 1; i <= 5; i++) log.append('log', { msg: String(i) });
    expect(log.read(2, 2)).toEqual({ events: [expect.objectContaining({ seq: 3 }), expect.objectContaining({ seq: 4 })], nextCursor: 4 });
    expect(log.read(5, 10)).toEqual({ events: [], nextCursor: 5 });
    // A progress superseded after a client read it does not come back; the newer one does.
    log.append('progress', { percent: 10 });
    expect(log.read(5, 10).events.map((e) => e.seq)).toEqual([6]);
    log.append('progress', { percent: 20 });
    expect(log.read(6, 10).events.map((e) => e.seq)).toEqual([7]);
    expect(log.size).toBe(6);
  });
});
