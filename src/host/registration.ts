import { BACKEND_HOST_REGISTER_PATH, type HostRegistration } from '../contracts/host-protocol.js';
import type { Logger } from '../util/logger.js';

export interface RegistrarOptions {
  /** Backend base URL, without `/api/v1`. */
  readonly backendUrl: string;
  /** What the backend should call this host at. */
  readonly registration: HostRegistration;
  readonly token?: string;
  readonly logger: Logger;
  /** @defaultValue 5 s */
  readonly intervalMs?: number;
  /** One attempt may take this long, in ms. @defaultValue 3 s */
  readonly timeoutMs?: number;
}

export const DEFAULT_HEARTBEAT_MS = 5000;

/**
 * Registers the host with a backend and repeats the registration as a heartbeat, so a backend that restarts (or
 * that forgot the host after missed health checks) finds it again within one interval. The backend treats a repeat
 * as a no-op. Failures never stop the host: they are logged at debug, and a change between reachable and not at
 * info, so the log says when the backend went away without repeating it every five seconds.
 */
export class HostRegistrar {
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<void> | undefined;
  private reachable: boolean | undefined;
  private readonly stopped = new AbortController();

  constructor(private readonly options: RegistrarOptions) {}

  start(): void {
    if (this.timer !== undefined) return;
    this.tick();
    this.timer = setInterval(() => this.tick(), this.options.intervalMs ?? DEFAULT_HEARTBEAT_MS);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.stopped.abort();
    await this.inFlight;
  }

  /** One registration attempt; true when the backend answered 2xx. */
  async registerOnce(): Promise<boolean> {
    const { backendUrl, registration, token, logger } = this.options;
    const url = new URL(BACKEND_HOST_REGISTER_PATH.slice(1), backendUrl.endsWith('/') ? backendUrl : `${backendUrl}/`).href;
    let ok = false;
    let reason = '';
    try {
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
        body: JSON.stringify(registration),
        signal: AbortSignal.any([this.stopped.signal, AbortSignal.timeout(this.options.timeoutMs ?? 3000)]),
      });
      await response.body?.cancel().catch(() => undefined);
      ok = response.ok;
      reason = `HTTP ${response.status}`;
    } catch (error) {
      reason = error instanceof Error ? error.message : String(error);
    }
    if (ok !== this.reachable) {
      if (ok) logger.info({ backend: backendUrl, url: registration.url }, `registered with ${backendUrl} as ${registration.url}`);
      else if (this.reachable) logger.info({ backend: backendUrl, reason }, `lost the backend at ${backendUrl} (${reason}); still trying`);
    }
    if (!ok) logger.debug({ backend: backendUrl, reason }, `registration with ${backendUrl} failed: ${reason}`);
    this.reachable = ok;
    return ok;
  }

  private tick(): void {
    // A slow backend must not pile up attempts.
    if (this.inFlight !== undefined || this.stopped.signal.aborted) return;
    this.inFlight = this.registerOnce().then(
      () => undefined,
      () => undefined,
    );
    void this.inFlight.finally(() => (this.inFlight = undefined));
  }
}
