/** Timing of runs on training hosts. Every wait is bounded, so a dead or slow host can never hold a run forever. */
export interface RemoteRunSettings {
  /** A host that has not answered for this long has lost the run: it fails with HOST_LOST. @defaultValue 15 s */
  readonly lostAfterMs: number;
  /** After the host reports completion, how long to wait for its push before pulling the result. @defaultValue 2 s */
  readonly pushGraceMs: number;
  /** Poll interval while events flow (and while cancelling). @defaultValue 100 ms */
  readonly pollMinMs: number;
  /** Poll interval when idle; the interval doubles from the minimum up to this. @defaultValue 1 s */
  readonly pollMaxMs: number;
  /** One poll, cancel or acknowledgement may take this long. @defaultValue lostAfterMs / 3, between 0.5 s and 5 s */
  readonly requestTimeoutMs: number;
  /** One start request may take this long (the host only validates and accepts). @defaultValue 10 s */
  readonly startTimeoutMs: number;
  /**
   * How long a start keeps retrying while the host cannot be reached. Short: the caller chooses again (another host,
   * or local) rather than hold the run for a host that died after its last health check. @defaultValue 2 s
   */
  readonly dispatchRetryForMs: number;
  /** Wait between start attempts while the host is busy or unreachable. @defaultValue 500 ms */
  readonly startRetryMs: number;
  /** How long a start keeps retrying while the host answers HOST_BUSY. @defaultValue 60 s */
  readonly busyRetryForMs: number;
  /** Pulling a result (it may be large) may take this long. @defaultValue 60 s */
  readonly resultTimeoutMs: number;
  /** After HOST_LOST, how often to look for the host again. @defaultValue 5 s */
  readonly recoveryPollMs: number;
  /** After HOST_LOST, how long to keep looking; a host keeps results for an hour by default. @defaultValue 1 h */
  readonly recoveryWindowMs: number;
}

export const DEFAULT_HOST_LOST_AFTER_MS = 15_000;

export function remoteRunSettings(overrides: Partial<RemoteRunSettings> = {}): RemoteRunSettings {
  const lostAfterMs = overrides.lostAfterMs ?? DEFAULT_HOST_LOST_AFTER_MS;
  return {
    lostAfterMs,
    pushGraceMs: 2000,
    pollMinMs: 100,
    pollMaxMs: 1000,
    requestTimeoutMs: Math.min(5000, Math.max(500, Math.round(lostAfterMs / 3))),
    startTimeoutMs: 10_000,
    dispatchRetryForMs: Math.min(2000, lostAfterMs),
    startRetryMs: 500,
    busyRetryForMs: 60_000,
    resultTimeoutMs: 60_000,
    recoveryPollMs: 5000,
    recoveryWindowMs: 60 * 60_000,
    ...overrides,
  };
}
