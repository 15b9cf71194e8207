import { describe, expect, it } from 'vitest';
import type { LogEvent } from '../../src/operations/operation.js';
import { OperationEvents } from '../../src/operations/operation-events.js';
import { logLine } from './builders.js';

function logEvent(seq: number, operationId = 'op-1'): LogEvent {
  return { seq, operation_id: operationId, kind: 'log', time: '2025-01-01T00:00:00.000Z', data: logLine(`line ${seq}`) };
}

describe(OperationEvents.name, () => {
  it('should route events to global listeners and to the subscribers of that operation only', () => {
    const sut = new OperationEvents();
    const global: number[] = [];
    const mine: number[] = [];
    sut.on('event', (e) => global.push(e.seq));
    sut.subscribe('op-1', { onEvent: (e) => mine.push(e.seq) });
    sut.publishEvent(logEvent(1));
    sut.publishEvent(logEvent(2, 'op-2'));
    expect(global).toEqual([1, 2]);
    expect(mine).toEqual([1]);
  });

  it('should hand a listener error to the unhandled-error callback when nobody listens for errors', () => {
    const unhandled: unknown[] = [];
    const sut = new OperationEvents((error) => unhandled.push(error));
    const delivered: number[] = [];
    sut.on('event', () => {
      throw new Error('boom');
    });
    sut.on('event', (e) => delivered.push(e.seq));
    expect(() => sut.publishEvent(logEvent(1))).not.toThrow();
    expect(delivered).toEqual([1]);
    expect((unhandled[0] as Error).message).toBe('boom');
  });

  it('should not recurse when an error listener throws', () => {
    const unhandled: unknown[] = [];
    const sut = new OperationEvents((error) => unhandled.push(error));
    sut.on('error', () => {
      throw new Error('error handler broke');
    });
    sut.subscribe('op-1', {
      onEvent: () => {
        throw new Error('boom');
      },
    });
    expect(() => sut.publishEvent(logEvent(1))).not.toThrow();
    expect(unhandled.map((e) => (e as Error).message)).toEqual(['error handler broke']);
  });

  it('should forget an operation once its last subscriber leaves, and let a listener unsubscribe while being called', () => {
    const sut = new OperationEvents();
    const calls: string[] = [];
    const stop = sut.subscribe('op-1', {
      onEvent: () => {
        calls.push('first');
        stop();
      },
    });
    sut.subscribe('op-1', { onEvent: () => calls.push('second') });
    sut.publishEvent(logEvent(1));
    sut.publishEvent(logEvent(2));
    expect(calls).toEqual(['first', 'second', 'second']);
    expect(sut.subscriberCount('op-1')).toBe(1);
    const off = sut.on('finished', () => undefined);
    off();
    expect(sut.subscriberCount('op-2')).toBe(0);
  });
});
