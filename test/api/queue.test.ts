import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HealthSchema } from '../../src/contracts/health.js';
import { CancelResponseSchema } from '../../src/contracts/operations.js';
import { longStrategy, spxStrategy, waitFor } from '../helpers/strategies.js';
import { startTestBackend, startTraining, type TestBackend } from '../helpers/test-backend.js';

describe('backend API: local concurrency limit', () => {
  let server: TestBackend;

  beforeAll(async () => {
    server = await startTestBackend({ q_long: longStrategy('q_long'), q_tiny: spxStrategy('q_tiny', { epochs: 2 }) }, { concurrency: 1 });
  });
  afterAll(async () => server?.close());

  it('should keep extra runs pending and start them in FIFO order as slots free', async () => {
    const first = await startTraining(server, { strategy_name: 'q_long' });
    const second = await startTraining(server, { strategy_name: 'q_tiny' });
    const third = await startTraining(server, { strategy_name: 'q_tiny', seed: 5 });
    const doomed = await startTraining(server, { strategy_name: 'q_tiny', seed: 6 });
    await server.waitForStatus(first, ['running']);
    expect((await server.operation(second)).status).toBe('pending');
    expect((await server.operation(third)).status).toBe('pending');
    const health = HealthSchema.parse((await server.http('GET', '/api/v1/health')).body);
    expect(health.local).toMatchObject({ slots: 1, running: 1, queued: 3 });
    expect(health.operations).toMatchObject({ running: 1, pending: 3 });

    // A pending run is cancelled at once: there is nothing to wait for.
    const dropped = await server.http('DELETE', `/api/v1/operations/${doomed}`);
    expect(CancelResponseSchema.parse(dropped.body)).toEqual({ operation_id: doomed, status: 'cancelled' });

    await server.http('DELETE', `/api/v1/operations/${first}`);
    const firstDone = await server.waitForStatus(first, ['cancelled']);
    const secondDone = await server.waitForStatus(second, ['completed']);
    const thirdDone = await server.waitForStatus(third, ['completed']);
    // FIFO: each waited for the one before it. (A slot frees when the worker thread exits, which can be a moment
    // before the previous operation's final status is written, so finished_at is not compared.)
    expect(firstDone.started_at! < secondDone.started_at!).toBe(true);
    expect(secondDone.started_at! < thirdDone.started_at!).toBe(true);
    const doomedOp = await server.operation(doomed);
    expect(doomedOp).toMatchObject({ status: 'cancelled', started_at: null });
    // The slot frees when the worker thread has exited, a moment after the operation's status is written.
    const idle = await waitFor(async () => {
      const local = HealthSchema.parse((await server.http('GET', '/api/v1/health')).body).local;
      return local.running === 0 ? local : undefined;
    }, 'the slots to free');
    expect(idle).toMatchObject({ running: 0, queued: 0 });
  });
});
