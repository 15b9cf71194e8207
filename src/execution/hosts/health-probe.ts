import type { HostHealth } from '../../contracts/host-protocol.js';
import { HostClient } from '../remote/host-client.js';

/** One health check's answer. */
export type HostProbe =
  | { readonly ok: true; readonly health: HostHealth; readonly latencyMs: number; readonly at: number }
  | { readonly ok: false; readonly error: string; readonly latencyMs: number; readonly at: number };

export type Probe = (url: string, timeoutMs: number) => Promise<HostProbe>;

/**
 * `GET {url}/health` with a hard timeout. Never throws: a refused connection, a timeout and an answer outside the
 * protocol are all just "unhealthy, because …", which is what selection and `ktrdr hosts list` need to say.
 */
export const probeHost: Probe = async (url, timeoutMs) => {
  const started = performance.now();
  try {
    const health = await new HostClient(url).health({ timeoutMs });
    return { ok: true, health, latencyMs: elapsed(started), at: Date.now() };
  } catch (error) {
    return { ok: false, error: error instanceof Error ? error.message : String(error), latencyMs: elapsed(started), at: Date.now() };
  }
};

function elapsed(started: number): number {
  return Math.round((performance.now() - started) * 10) / 10;
}
