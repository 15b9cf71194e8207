import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { pushingCheckpointSink } from '../../src/checkpoints/checkpoint-push.js';
import type { Checkpoint } from '../../src/training/checkpoint-format.js';
import type { CheckpointSink } from '../../src/training/pipeline.js';
import { createRecordingLogger, type LogRecord } from '../../src/util/logger.js';

/** Only what the sink reads of a checkpoint: the epoch it is the state after. */
function checkpointAt(epoch: number): Checkpoint {
  return { state: { epochsDone: epoch } } as unknown as Checkpoint;
}

interface Received {
  readonly epoch: number;
  readonly checkpoint: string;
  readonly authorization: string | undefined;
  readonly encoding: string | undefined;
}

/** A backend stand-in that records each push and answers when `release` is called (or at once). */
async function fakeBackend(status = 200, hold = false) {
  const received: Received[] = [];
  const held: (() => void)[] = [];
  const server: Server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = JSON.parse(gunzipSync(Buffer.concat(chunks)).toString()) as { epoch: number; checkpoint: string };
      received.push({ ...body, authorization: request.headers.authorization, encoding: request.headers['content-encoding'] });
      const answer = () => response.writeHead(status, { 'content-type': 'application/json' }).end('{}');
      if (hold) held.push(answer);
      else answer();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1/operations/op_1/checkpoint`;
  return {
    url,
    received,
    release: () => held.splice(0).forEach((answer) => answer()),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe(pushingCheckpointSink.name, () => {
  const closers: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const close of closers.splice(0)) await close();
  });

  function recordingInner(): { sink: CheckpointSink; saved: number[] } {
    const saved: number[] = [];
    return { saved, sink: { latest: () => Promise.resolve(null), save: (c) => Promise.resolve(void saved.push(c.state.epochsDone)) } };
  }

  it('keeps every checkpoint locally and pushes them gzipped with the token, the newest replacing one still waiting', async () => {
    const backend = await fakeBackend(200, true);
    closers.push(backend.close);
    const inner = recordingInner();
    const sut = pushingCheckpointSink(
      inner.sink,
      { url: backend.url, token: 'secret' },
      createRecordingLogger(() => undefined),
    );

    await sut.save(checkpointAt(5), Buffer.from('five'));
    await expect.poll(() => backend.received.length).toBe(1);
    // The push of epoch 5 is in flight (held): 10 waits, then 15 takes its place.
    await sut.save(checkpointAt(10), Buffer.from('ten'));
    await sut.save(checkpointAt(15), Buffer.from('fifteen'));
    expect(inner.saved).toEqual([5, 10, 15]);
    let flushed = false;
    const flushing = sut.flush().then(() => (flushed = true));
    backend.release();
    await expect.poll(() => backend.received.length).toBe(2);
    expect(flushed).toBe(false);
    backend.release();
    await flushing;

    expect(backend.received.map((r) => [r.epoch, Buffer.from(r.checkpoint, 'base64').toString()])).toEqual([
      [5, 'five'],
      [15, 'fifteen'],
    ]);
    expect(backend.received.every((r) => r.authorization === 'Bearer secret' && r.encoding === 'gzip')).toBe(true);
  });

  it('goes on when the backend refuses or cannot be reached, with a warning in the run log', async () => {
    const backend = await fakeBackend(500);
    const logs: LogRecord[] = [];
    const logger = createRecordingLogger((record) => logs.push(record));
    const refusing = pushingCheckpointSink(recordingInner().sink, { url: backend.url }, logger);
    await refusing.save(checkpointAt(10), Buffer.from('x'));
    await refusing.flush();
    await backend.close();
    const unreachable = pushingCheckpointSink(recordingInner().sink, { url: backend.url, timeoutMs: 2000 }, logger);
    await unreachable.save(checkpointAt(20), Buffer.from('y'));
    await unreachable.flush();

    expect(logs.map((l) => l.level)).toEqual(['warn', 'warn']);
    expect(logs[0].msg).toMatch(/^Could not push the checkpoint at epoch 10 to the backend \(500 /);
    expect(logs[1].msg).toMatch(/^Could not push the checkpoint at epoch 20 to the backend \(/);
  });
});
