import type { HostRunStatusBody, HostStartRequest } from '../../contracts/host-protocol.js';
import { KtrdrError, isErrorCode } from '../../errors.js';
import { toOperationError, type OperationError } from '../../operations/operation.js';
import { artifactFromJson, type ModelArtifact } from '../../training/artifact.js';
import type { Logger } from '../../util/logger.js';
import { PhaseMachine } from '../../util/phases.js';
import { notify, type RunObserver, type RunOutcome } from '../executor.js';
import { relayHostEvents } from './event-relay.js';
import { HostUnreachableError, isHostError, type HostClient } from './host-client.js';
import { REMOTE_RUN_MOVES, type RemoteRunPhase } from './remote-run-phase.js';
import type { RemoteRunSettings } from './remote-settings.js';
import { WakeableSleep } from './wakeable-sleep.js';

/** The host's default page of events; a full page means more are waiting, so the next poll goes at once. */
const HOST_EVENTS_PAGE = 1000;
/** Shortest time a poll is given, even when the lost-host deadline is nearer. */
const MIN_POLL_TIMEOUT_MS = 250;
/** Failed pulls of an available result before the run is given up as failed. */
const MAX_PULL_FAILURES = 5;

/** Re-attaching: the event cursor already relayed, and what the operation's record says about the run. */
export interface RunResume {
  readonly cursor: number;
  readonly started: boolean;
  readonly cancelRequested: boolean;
}

export interface RemoteRunInit {
  readonly client: HostClient;
  readonly operationId: string;
  readonly observer: RunObserver;
  readonly settings: RemoteRunSettings;
  readonly logger: Logger;
  /** Builds the start request (data hashes included). Absent when re-attaching to a run the host already has. */
  readonly prepare?: () => Promise<HostStartRequest>;
  /** Present when re-attaching to a run the host already has. */
  readonly resume?: RunResume;
  /** Whether the host was given a callback URL: only then is a push worth waiting for. */
  readonly expectsPush: boolean;
  /** Called once the host no longer counts the run against its capacity (or never will), so the slot can be reused. */
  readonly onHostDone: () => void;
  readonly now?: () => number;
}

/** The loop stopped because the process is letting go of the run, not because the run ended. */
const DETACHED = Symbol('detached');
type Step = RunOutcome | typeof DETACHED;

/**
 * One run on a training host, from dispatch to outcome: starts it (or re-attaches), polls its events with an
 * adaptive interval (fast while events flow, backing off to a second when idle) and relays them to the observer,
 * forwards a cancel, and ends with the artifact — pushed by the host, or pulled if no push came within a short
 * grace time after the host reported completion. A host that stops answering for `lostAfterMs` fails the run with
 * HOST_LOST; the run then keeps watching, slowly, in case the host comes back with the result (`recovered`).
 * Its phases and their moves are in `remote-run-phase.ts`.
 */
export class RemoteRun {
  readonly outcome: Promise<RunOutcome>;
  readonly recovered: Promise<ModelArtifact | null>;
  private settleOutcome!: (outcome: RunOutcome) => void;
  private settleRecovered!: (artifact: ModelArtifact | null) => void;
  private readonly now: () => number;
  private readonly hostUrl: string;
  private readonly phase: PhaseMachine<RemoteRunPhase>;
  private readonly sleeper = new WakeableSleep();
  private cursor: number;
  /** The host reported the run's start (an outcome `cancelled` says whether it had started). */
  private started: boolean;
  private cancelRequested: boolean;
  private cancelSent = false;
  /** The executor is closing: a lost run is not watched (any more). */
  private closed = false;
  private pushed: ModelArtifact | undefined;
  /** Gives the executor's slot back, once: when the host no longer counts the run, or the loop has ended. */
  private releaseSlot: (() => void) | undefined;
  private loop: Promise<void> | undefined;

  constructor(private readonly init: RemoteRunInit) {
    this.now = init.now ?? Date.now;
    this.hostUrl = init.client.baseUrl;
    this.phase = new PhaseMachine(`remote run ${init.operationId}`, REMOTE_RUN_MOVES, init.resume === undefined ? 'dispatching' : 'following');
    this.cursor = init.resume?.cursor ?? 0;
    this.started = init.resume?.started ?? false;
    this.cancelRequested = init.resume?.cancelRequested ?? false;
    this.releaseSlot = init.onHostDone;
    this.outcome = new Promise((resolve) => (this.settleOutcome = resolve));
    this.recovered = new Promise((resolve) => (this.settleRecovered = resolve));
  }

  /** Starts the lifecycle; returns at once. */
  start(): void {
    this.loop ??= this.lifecycle();
  }

  /** Resolves when the loop (including a recovery watch) has stopped. */
  async stopped(): Promise<void> {
    await this.loop;
  }

  cancel(): void {
    if (this.cancelRequested || this.phase.is('watching', 'detached', 'done')) return;
    this.cancelRequested = true;
    this.sleeper.wake();
  }

  deliverResult(artifact: ModelArtifact): boolean {
    if (this.pushed !== undefined || !this.takesResult()) return false;
    this.pushed = artifact;
    this.sleeper.wake();
    return true;
  }

  detach(): boolean {
    if (this.phase.is('detached')) return true;
    if (!this.phase.can('detached')) return false;
    this.phase.moveTo('detached');
    this.sleeper.wake();
    return true;
  }

  /** The executor is closing: stop watching for a lost run's result. */
  close(): void {
    this.closed = true;
    this.sleeper.wake();
  }

  /** Whether a pushed artifact can still end the run (or, after HOST_LOST, be recovered). */
  private takesResult(): boolean {
    const phase = this.phase.current;
    switch (phase) {
      case 'dispatching':
      case 'following':
      case 'awaitingPush':
        return true;
      case 'watching':
        return !this.closed;
      case 'detached':
      case 'done':
        return false;
      default: {
        const unknown: never = phase;
        throw new Error(`unknown remote run phase ${String(unknown)}`);
      }
    }
  }

  private async lifecycle(): Promise<void> {
    try {
      const step = await this.run();
      // A detach may have come while the last answer was on its way: that answer belongs to the next process too.
      if (step === DETACHED || this.phase.is('detached')) return;
      if (step.status === 'failed' && step.error.code === 'HOST_LOST' && this.phase.can('watching')) {
        this.phase.moveTo('watching');
        this.settleOutcome(step);
        this.settleRecovered(await this.watchForRecovery());
      } else {
        this.phase.moveTo('done');
        this.settleOutcome(step);
      }
    } catch (error) {
      // A bug here must still end the run, never leave it hanging (a settled outcome stays as it was).
      this.init.logger.error({ err: error, operation_id: this.init.operationId }, `remote run ${this.init.operationId} failed unexpectedly`);
      this.settleOutcome({ status: 'failed', error: toOperationError(error, 'INTERNAL') });
    } finally {
      this.settleRecovered(null);
      if (!this.phase.is('detached', 'done')) this.phase.moveTo('done');
      this.releaseHostSlot();
    }
  }

  private async run(): Promise<Step> {
    if (this.phase.is('dispatching')) {
      const refused = await this.dispatch();
      if (refused !== undefined) return refused;
    }
    return this.follow();
  }

  /** Sends the start request; undefined once the host has the run, otherwise how the run ended before it got there. */
  private async dispatch(): Promise<RunOutcome | undefined> {
    const { client, settings, operationId, observer } = this.init;
    let request: HostStartRequest;
    try {
      request = await this.init.prepare!();
    } catch (error) {
      return { status: 'failed', error: toOperationError(error, 'INTERNAL') };
    }
    if (this.cancelRequested) return { status: 'cancelled', started: false };
    // Recorded before the request, so a crash while it is in flight still leaves a way back to the run.
    notify(() => observer.onRemote?.({ host_url: this.hostUrl, run_id: operationId, cursor: 0 }));
    const busyUntil = this.now() + settings.busyRetryForMs;
    const unreachableUntil = this.now() + settings.dispatchRetryForMs;
    for (;;) {
      try {
        await client.start(request, { timeoutMs: settings.startTimeoutMs });
        this.phase.moveTo('following');
        return undefined;
      } catch (error) {
        // An earlier attempt got through (its answer was lost): the host has the run, which is what we wanted.
        if (isHostError(error, 'RUN_EXISTS')) {
          this.phase.moveTo('following');
          return undefined;
        }
        const retry =
          (isHostError(error, 'HOST_BUSY') && this.now() < busyUntil) || (error instanceof HostUnreachableError && this.now() < unreachableUntil);
        if (!retry) return { status: 'failed', error: dispatchError(error, this.hostUrl) };
        this.init.logger.debug({ operation_id: operationId, err: error }, `start of ${operationId} on ${this.hostUrl} not accepted yet; retrying`);
      }
      await this.sleep(settings.startRetryMs);
      if (this.cancelRequested) return { status: 'cancelled', started: false };
    }
  }

  /** Polls the run until it ends, relaying its events; see the class comment for the rules. */
  private async follow(): Promise<Step> {
    const { client, settings, operationId } = this.init;
    let lastContact = this.now();
    let interval = settings.pollMinMs;
    let completedAt: number | undefined;
    let pullFailures = 0;
    for (;;) {
      if (this.phase.is('detached')) return DETACHED;
      if (this.cancelRequested && !this.cancelSent) await this.sendCancel();
      let body: HostRunStatusBody;
      // A poll never outlasts the time left before the host counts as lost, so HOST_LOST comes on time.
      const leftMs = settings.lostAfterMs - (this.now() - lastContact);
      try {
        body = await client.status(operationId, this.cursor, {
          timeoutMs: Math.min(settings.requestTimeoutMs, Math.max(MIN_POLL_TIMEOUT_MS, leftMs)),
        });
      } catch (error) {
        if (this.phase.is('detached')) return DETACHED;
        if (this.pushed !== undefined) return this.completed(this.pushed, 'push');
        if (isHostError(error, 'OPERATION_NOT_FOUND'))
          return lost(`${this.hostUrl} no longer knows run ${operationId} (the host restarted, or the run expired)`);
        if (!(error instanceof HostUnreachableError)) return { status: 'failed', error: toOperationError(error, 'INTERNAL') };
        const silentMs = this.now() - lastContact;
        if (silentMs >= settings.lostAfterMs) return lost(`${this.hostUrl} did not answer for ${(silentMs / 1000).toFixed(1)} s (${error.message})`);
        interval = Math.min(interval * 2, settings.pollMaxMs);
        await this.sleep(Math.min(interval, settings.lostAfterMs - silentMs));
        continue;
      }
      lastContact = this.now();
      // Letting go: whatever this answer says belongs to the next process, which re-attaches from the journal.
      if (this.phase.is('detached')) return DETACHED;
      if (body.events.length > 0 && relayHostEvents(body.events, this.init.observer).started) this.started = true;
      if (body.next_cursor !== this.cursor) {
        this.cursor = body.next_cursor;
        notify(() => this.init.observer.onRemote?.({ host_url: this.hostUrl, run_id: operationId, cursor: this.cursor }));
      }
      const morePending = body.events.length >= HOST_EVENTS_PAGE;
      if (morePending) continue;

      switch (body.status) {
        case 'queued':
        case 'running':
          break;
        case 'cancelled':
          this.releaseHostSlot();
          return { status: 'cancelled', started: this.started };
        case 'failed':
          this.releaseHostSlot();
          return { status: 'failed', error: hostRunError(body.error) };
        case 'completed': {
          this.releaseHostSlot();
          if (this.pushed !== undefined) return this.completed(this.pushed, 'push');
          if (!body.result_available) {
            return {
              status: 'failed',
              error: { code: 'TRAINING_FAILED', message: `${this.hostUrl} completed run ${operationId} but no longer holds its result` },
            };
          }
          // Polled again while the push is awaited: the first answer that says `completed` moves the run on.
          if (this.phase.is('following')) this.phase.moveTo('awaitingPush');
          completedAt ??= this.now();
          const graceLeft = settings.pushGraceMs - (this.now() - completedAt);
          // The push is the fast path; without a callback, once the push gave up, or after the grace time, pull.
          if (!this.init.expectsPush || body.result_pushed === false || graceLeft <= 0) {
            const pulled = await this.pull();
            if ('artifact' in pulled) return this.completed(pulled.artifact, 'pull');
            if (this.pushed !== undefined) return this.completed(this.pushed, 'push');
            if (pulled.fatal || ++pullFailures >= MAX_PULL_FAILURES) return { status: 'failed', error: pulled.error };
          } else {
            await this.sleep(graceLeft);
            continue;
          }
          break;
        }
        default: {
          const unknown: never = body.status;
          throw new Error(`unknown host run status ${String(unknown)}`);
        }
      }
      interval = body.events.length > 0 || this.cancelRequested ? settings.pollMinMs : Math.min(interval * 2, settings.pollMaxMs);
      await this.sleep(interval);
    }
  }

  private async sendCancel(): Promise<void> {
    try {
      await this.init.client.cancel(this.init.operationId, { timeoutMs: this.init.settings.requestTimeoutMs });
      this.cancelSent = true;
    } catch (error) {
      // Unreachable: tried again next round, and the lost-host rule bounds the wait. Unknown run: the poll says so.
      if (!(error instanceof HostUnreachableError)) this.cancelSent = true;
      this.init.logger.debug({ operation_id: this.init.operationId, err: error }, 'cancel request to the host failed');
    }
  }

  private async pull(): Promise<{ artifact: ModelArtifact } | { error: OperationError; fatal: boolean }> {
    const { client, settings, operationId } = this.init;
    let text: string;
    try {
      text = await client.result(operationId, { timeoutMs: settings.resultTimeoutMs });
    } catch (error) {
      this.init.logger.warn({ operation_id: operationId, err: error }, `pulling the result of ${operationId} from ${this.hostUrl} failed`);
      return {
        error: { code: 'HOST_LOST', message: `the result of ${operationId} could not be fetched from ${this.hostUrl}: ${describe(error)}` },
        fatal: false,
      };
    }
    try {
      return { artifact: verifiedArtifact(text, operationId) };
    } catch (error) {
      return {
        error: { code: 'MODEL_CORRUPT', message: `the result ${this.hostUrl} returned for ${operationId} failed verification: ${describe(error)}` },
        fatal: true,
      };
    }
  }

  /** After HOST_LOST: the host may come back (a partition, a paused process) with the run finished. */
  private async watchForRecovery(): Promise<ModelArtifact | null> {
    const { client, settings, operationId } = this.init;
    const until = this.now() + settings.recoveryWindowMs;
    for (;;) {
      if (this.pushed !== undefined) return this.pushed;
      if (this.closed || this.now() >= until) return null;
      await this.sleep(Math.min(settings.recoveryPollMs, until - this.now()));
      if (this.pushed !== undefined) return this.pushed;
      if (this.closed) return null;
      try {
        const body = await client.status(operationId, this.cursor, { timeoutMs: settings.requestTimeoutMs });
        if (body.status === 'queued' || body.status === 'running') continue;
        if (body.status !== 'completed' || !body.result_available) return null;
        const pulled = await this.pull();
        if ('artifact' in pulled) return pulled.artifact;
        if (pulled.fatal) return null;
      } catch (error) {
        if (isHostError(error, 'OPERATION_NOT_FOUND')) return null;
        // Still unreachable: keep watching until the window closes.
      }
    }
  }

  private completed(artifact: ModelArtifact, how: 'push' | 'pull'): RunOutcome {
    this.init.logger.info(
      { operation_id: this.init.operationId, host: this.hostUrl, delivery: how },
      `result of ${this.init.operationId} received from ${this.hostUrl} by ${how}`,
    );
    return { status: 'completed', artifact };
  }

  private releaseHostSlot(): void {
    const release = this.releaseSlot;
    this.releaseSlot = undefined;
    release?.();
  }

  /** Waits `ms`, or less if woken (a cancel, a push, a detach, the executor closing). */
  private sleep(ms: number): Promise<void> {
    return this.sleeper.sleep(ms);
  }
}

/** Parses and checks an artifact: the weights hash (in `artifactFromJson`) and that it is this operation's. */
export function verifiedArtifact(text: string, operationId: string): ModelArtifact {
  const artifact = artifactFromJson(text);
  if (artifact.manifest.operation_id !== operationId) {
    throw new KtrdrError('VALIDATION_FAILED', `the artifact belongs to operation ${String(artifact.manifest.operation_id)}, not ${operationId}`);
  }
  return artifact;
}

function lost(message: string): RunOutcome {
  return { status: 'failed', error: { code: 'HOST_LOST', message } };
}

/** The host's own failure, with its code when it is one of ours (DATA_NOT_FOUND, STRATEGY_INVALID, ...). */
function hostRunError(error: HostRunStatusBody['error']): OperationError {
  if (error === null) return { code: 'TRAINING_FAILED', message: 'the run failed on the training host' };
  return { code: isErrorCode(error.code) ? error.code : 'TRAINING_FAILED', message: error.message };
}

function dispatchError(error: unknown, hostUrl: string): OperationError {
  if (error instanceof HostUnreachableError)
    return { code: 'HOST_UNAVAILABLE', message: `the training host ${hostUrl} could not be reached to start the run: ${error.message}` };
  return toOperationError(error, 'INTERNAL');
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
