import { KtrdrError } from '../errors.js';

/** The one way training reports a cancel, so every layer above can recognise it by code. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new KtrdrError('CANCELLED', 'Training cancelled', { cause: signal.reason });
}
