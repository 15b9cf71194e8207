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

/**
 * Keeps each checkpoint in `inner` (the host's own copy) and then sends it to the backend, so a host that dies does
 * not take it along. A failed push costs nothing but a warning: the host's copy and the next push are still there,
 * and the run must not stop because the backend is briefly unreachable.
 */
export function pushingCheckpointSink(inner: CheckpointSink, target: CheckpointPushTarget, logger: Logger): CheckpointSink {
  return {
    latest: () => inner.latest(),
    save: async (checkpoint, bytes) => {
      await inner.save(checkpoint, bytes);
      const epoch = checkpoint.state.epochsDone;
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
    },
  };
}
