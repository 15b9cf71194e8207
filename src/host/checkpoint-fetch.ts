import { ErrorBodySchema } from '../contracts/common.js';
import { HostCheckpointSchema } from '../contracts/trainings.js';
import { decodeCheckpoint } from '../training/checkpoint-format.js';

/** How long the fetch of a run's checkpoint may take before the run starts from epoch 1 instead, in ms. */
export const CHECKPOINT_FETCH_TIMEOUT_MS = 30_000;

export interface FetchedCheckpoint {
  readonly epoch: number;
  readonly bytes: Uint8Array;
}

/**
 * The newest checkpoint the backend holds for a run (`GET {backend}/api/v1/operations/{id}/checkpoint`), checked
 * before the host keeps it: the file's own checks (CHECKPOINT_CORRUPT) and that it is this operation's state after
 * the epoch the backend named. Null when the backend has none (NO_CHECKPOINT); anything else throws, and the caller
 * decides what a run without it does.
 */
export async function fetchNewestCheckpoint(options: {
  readonly backendUrl: string;
  readonly operationId: string;
  readonly token?: string;
  readonly signal: AbortSignal;
  readonly timeoutMs?: number;
}): Promise<FetchedCheckpoint | null> {
  const { operationId } = options;
  const response = await fetch(`${options.backendUrl}/api/v1/operations/${encodeURIComponent(operationId)}/checkpoint`, {
    headers: options.token !== undefined ? { authorization: `Bearer ${options.token}` } : {},
    signal: AbortSignal.any([options.signal, AbortSignal.timeout(options.timeoutMs ?? CHECKPOINT_FETCH_TIMEOUT_MS)]),
  });
  const text = await response.text();
  if (!response.ok) {
    const refusal = safeJson(text, ErrorBodySchema);
    if (refusal?.error.code === 'NO_CHECKPOINT') return null;
    throw new Error(`the backend answered ${response.status} ${refusal?.error.code ?? text.slice(0, 300)}`);
  }
  const body = HostCheckpointSchema.parse(JSON.parse(text));
  const bytes = Buffer.from(body.checkpoint, 'base64');
  const checkpoint = decodeCheckpoint(bytes, `the backend's checkpoint of ${operationId} at epoch ${body.epoch}`);
  if (checkpoint.origin.operationId !== operationId || checkpoint.state.epochsDone !== body.epoch) {
    throw new Error(
      `the backend's checkpoint is operation ${String(checkpoint.origin.operationId)}'s state after epoch ${checkpoint.state.epochsDone}, not ${operationId}'s after epoch ${body.epoch}`,
    );
  }
  return { epoch: body.epoch, bytes };
}

function safeJson<T>(text: string, schema: { safeParse(value: unknown): { success: true; data: T } | { success: false } }): T | undefined {
  try {
    const parsed = schema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}
