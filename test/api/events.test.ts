import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseSse } from '../../src/api/client/sse-parser.js';
import { OperationEventSchema, type OperationEventWire } from '../../src/contracts/operations.js';
import { longStrategy, spxStrategy, waitFor } from '../helpers/strategies.js';
import { errorCode, startTestBackend, startTraining, type TestBackend } from '../helpers/test-backend.js';

async function readStream(
  url: string,
  headers: Record<string, string> = {},
): Promise<{ events: OperationEventWire[]; status: number; type: string | null }> {
  const response = await fetch(url, { headers });
  const events: OperationEventWire[] = [];
  if (response.ok && response.body) {
    for await (const message of parseSse(response.body)) {
      const event = OperationEventSchema.parse(JSON.parse(message.data));
      expect(message.id).toBe(String(event.seq));
      expect(message.event).toBe(event.kind);
      events.push(event);
    }
  }
  return { events, status: response.status, type: response.headers.get('content-type') };
}

describe('backend API: operation event stream (SSE)', () => {
  let server: TestBackend;

  beforeAll(async () => {
    server = await startTestBackend({ sse_tiny: spxStrategy('sse_tiny', { epochs: 6, earlyStopping: false }), sse_long: longStrategy('sse_long') });
  });
  afterAll(async () => server?.close());

  it('should deliver progress, log, metric and status events live and end at the terminal state', async () => {
    const id = await startTraining(server, { strategy_name: 'sse_tiny' });
    const { events, type } = await readStream(`${server.url}/api/v1/operations/${id}/events`);
    expect(type).toMatch(/^text\/event-stream/);
    const seqs = events.map((e) => e.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(new Set(seqs).size).toBe(seqs.length);
    expect(new Set(events.map((e) => e.kind))).toEqual(new Set(['progress', 'log', 'metric', 'status']));
    expect(events.filter((e) => e.kind === 'metric').map((e) => e.data.epoch)).toEqual([1, 2, 3, 4, 5, 6]);
    const percents = events.filter((e) => e.kind === 'progress').map((e) => e.data.percent as number);
    expect(percents.every((p, i) => i === 0 || p >= percents[i - 1])).toBe(true);
    expect(percents[percents.length - 1]).toBe(100);
    const last = events[events.length - 1];
    expect(last).toMatchObject({ kind: 'status', data: { to: 'completed' } });
    expect(events.filter((e) => e.kind === 'status').map((e) => e.data.to)).toEqual(['pending', 'running', 'completed']);

    // Resuming replays exactly what came after the given seq, by header or by query.
    const middle = events[Math.floor(events.length / 2)].seq;
    const resumed = await readStream(`${server.url}/api/v1/operations/${id}/events`, { 'last-event-id': String(middle) });
    expect(resumed.events.map((e) => e.seq)).toEqual(seqs.filter((s) => s > middle));
    const byQuery = await readStream(`${server.url}/api/v1/operations/${id}/events?after=${middle}`);
    expect(byQuery.events.map((e) => e.seq)).toEqual(seqs.filter((s) => s > middle));
  });

  it('should stream a cancelled run through cancelling to cancelled', async () => {
    const id = await startTraining(server, { strategy_name: 'sse_long' });
    const reading = readStream(`${server.url}/api/v1/operations/${id}/events`);
    await waitFor(async () => ((await server.operation(id)).progress?.epoch ?? 0) >= 1 || undefined, 'an epoch');
    await server.http('DELETE', `/api/v1/operations/${id}`);
    const { events } = await reading;
    expect(events.filter((e) => e.kind === 'status').map((e) => e.data.to)).toEqual(['pending', 'running', 'cancelling', 'cancelled']);
  });

  it('should refuse an unknown operation and a malformed Last-Event-ID with the error body', async () => {
    const missing = await server.http('GET', '/api/v1/operations/nope/events');
    expect(missing.status).toBe(404);
    expect(errorCode(missing)).toBe('OPERATION_NOT_FOUND');
    const ops = await server.http('GET', '/api/v1/operations?limit=1');
    const id = (ops.body as { data: { operation_id: string }[] }).data[0].operation_id;
    const bad = await server.http('GET', `/api/v1/operations/${id}/events`, { headers: { 'last-event-id': 'abc' } });
    expect(bad.status).toBe(400);
    expect(errorCode(bad)).toBe('VALIDATION_FAILED');
  });
});
