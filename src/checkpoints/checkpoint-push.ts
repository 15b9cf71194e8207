import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import type { CheckpointSink } from '../training/pipeline.js';
import type { Logger } from '../util/logger.js';

const gzipAsync = promisify(gzip);

/** Where a training host sends its runs' checkpoints: `PUT {backend}/api/v1/operations/{id}/checkpoint`. */
export interface CheckpointPushTarget {
  readonly url: string;
  readonly token?: string;
  /** One attempt taking longer than this counts as failed, in ms. @defaultValue 10 s */
  readonly timeoutMs?: number;
}

/** A sink that pushes in the background; `flush` resolves once the newest checkpoint saved so far is sent or given up. */
export interface PushingCheckpointSink extends CheckpointSink {
  flush(): Promise<void>;
}

/**
 * Keeps each checkpoint in `inner` (the host's own copy) and then sends it to the backend, so a host that dies does
 * not take it along. The push runs behind the training, one at a time and in order (a newer checkpoint replaces one
 * still waiting): a slow backend does not slow the run, and a cancel is not held up by the network (the worker
 * flushes after reporting how the run ended). A failed push costs nothing but a warning: the host's copy and the next
 * push are still there, and the run must not stop because the backend is briefly unreachable.
 */
export function pushingCheckpointSink(inner: CheckpointSink, target: CheckpointPushTarget, logger: Logger): PushingCheckpointSink {
  const push = async (epoch: number, bytes: Uint8Array): Promise<void> => {
    try {
      const body = await gzipAsync(JSON.stringify({ epoch, checkpoint: Buffer.from(bytes).toString('base64') }));
      const response = await fetch(target.url, {
        method: 'PUT',
        headers: {
          'content-type': 'application/json',
          'content-encoding': 'gzip',
          ...(target.token !== undefined ? { authorization: `Bearer ${target.token}` } : {}),
        },
        body,
        signal: AbortSignal.timeout(target.timeoutMs ?? 10_000),
      });
      if (!response.ok) throw new Error(`${response.status} ${(await response.text()).slice(0, 300)}`);
      await response.body?.cancel();
    } catch (error) {
      logger.warn(`Could not push the checkpoint at epoch ${epoch} to the backend (${error instanceof Error ? error.message : String(error)})`);
    }
  };
  // Only the newest checkpoint waits for the push in flight: the backend keeps the newest two anyway, and a slow
  // backend must neither pile up checkpoints in memory nor make the end of the run wait for a backlog.
  let waiting: { epoch: number; bytes: Uint8Array } | undefined;
  let sending: Promise<void> | undefined;
  const drain = async (): Promise<void> => {
    for (let next = waiting; next !== undefined; next = waiting) {
      waiting = undefined;
      await push(next.epoch, next.bytes);
    }
    sending = undefined;
  };
  return {
    latest: () => inner.latest(),
    save: async (checkpoint, bytes) => {
      await inner.save(checkpoint, bytes);
      waiting = { epoch: checkpoint.state.epochsDone, bytes };
      sending ??= drain();
    },
    flush: () => sending ?? Promise.resolve(),
  };
}
