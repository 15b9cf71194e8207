import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import type { HostHealth, HostRunAccepted, HostRunQuery, HostRunStatus, HostRunStatusBody, HostStartRequest } from '../contracts/host-protocol.js';
import { KtrdrError } from '../errors.js';
import type { RunHandle, RunOutcome, TrainingJob } from '../execution/executor.js';
import { toOperationError, type OperationError } from '../operations/operation.js';
import { artifactToJson } from '../training/artifact.js';
import type { Logger } from '../util/logger.js';
import { packageVersion } from '../util/package-info.js';
import { PhaseMachine } from '../util/phases.js';
import { fetchNewestCheckpoint } from './checkpoint-fetch.js';
import { HOST_RUN_MOVES, hasEnded, hostRunStatus, type HostRunPhase } from './host-run-phase.js';
import type { HostTrainer } from './host-trainer.js';
import { DEFAULT_PUSH_DELAYS_MS, DEFAULT_PUSH_TIMEOUT_MS, pushResult } from './result-push.js';
import type { RunDataProvisioner } from './run-data.js';
import { RunEventLog } from './run-events.js';

const gzipAsync = promisify(gzip);

export interface HostRunsOptions {
  readonly trainer: HostTrainer;
  /** Builds each run's data directory (own copy, cache or download) and removes it afterwards. */
  readonly data: Pick<RunDataProvisioner, 'prepare' | 'release'>;
  readonly logger: Logger;
  /** Sent as `Authorization: Bearer` on pushes and downloads; undefined only for an `--insecure` host. */
  readonly token?: string;
  /** Where to download data from; without it, the backend base URL that each run's `callback_url` lives under. */
  readonly backendUrl?: string;
  /** How long a finished run (status, events, result) is kept without a `DELETE`, in ms. @defaultValue 1 hour */
  readonly retentionMs?: number;
  /** How often expired runs are removed, in ms. @defaultValue retention / 4, between 1 s and 60 s */
  readonly sweepIntervalMs?: number;
  /** Waits between push attempts, in ms. @defaultValue 1 s, 2 s, 4 s, 8 s (five attempts) */
  readonly pushDelaysMs?: readonly number[];
  /** @defaultValue 30 s */
  readonly pushTimeoutMs?: number;
  /**
   * Awaited before a completed run's result is pushed. A queue host moves the run's last events to Redis here, so the
   * backend, which completes the run when the push arrives, has every epoch and log line by then.
   */
  readonly beforePush?: (operationId: string) => Promise<void>;
  readonly now?: () => number;
}

/** One run on this host. Its phase says where it is; the other fields hold what each phase has produced. */
interface HostRun {
  readonly id: string;
  readonly request: HostStartRequest;
  readonly events: RunEventLog;
  readonly log: Logger;
  readonly phase: PhaseMachine<HostRunPhase>;
  /** Set when it starts running. */
  device: string | null;
  /** Set when it fails. */
  error: OperationError | null;
  /** The artifact as gzip JSON, set when it completes and kept until acknowledged or expired. */
  result: Buffer | undefined;
  /** How its push ended; null without a callback URL or while the push is going on. */
  resultPushed: boolean | null;
  /** When it ended, for the retention time. */
  endedAt: number | undefined;
  /**
   * Aborted when the backend cancels the run (its signal says whether it has): stops the data preparation, and a
   * run that already has a thread is cancelled through its handle.
   */
  readonly cancelRequest: AbortController;
  handle: RunHandle | undefined;
  /** Settles when the run has ended and its push (if any) is over. */
  done: Promise<void>;
}

const DEFAULT_RETENTION_MS = 60 * 60_000;

/**
 * The host's runs: accepts them up to capacity, prepares their data, runs them on the trainer, keeps their events
 * for polling and their results until the backend acknowledges them, pushes results to the backend, and forgets
 * finished runs after the retention time. All state is in memory: a host restart loses runs, and the backend treats
 * a run the host no longer knows as lost.
 *
 * Capacity: a run counts from acceptance (while its data is prepared) until it ends, and `start` refuses with
 * HOST_BUSY when `active >= slots`. Nothing waits in a queue on the host, so a backend always learns at once that it
 * should try elsewhere; `queued` only means "preparing data or waiting for its thread".
 */
export class HostRuns {
  private readonly runs = new Map<string, HostRun>();
  private readonly retentionMs: number;
  private readonly sweeper: NodeJS.Timeout;
  private readonly closing = new AbortController();
  private readonly now: () => number;
  private closed = false;

  constructor(private readonly options: HostRunsOptions) {
    this.retentionMs = options.retentionMs ?? DEFAULT_RETENTION_MS;
    this.now = options.now ?? Date.now;
    const interval = options.sweepIntervalMs ?? Math.min(60_000, Math.max(1000, this.retentionMs / 4));
    this.sweeper = setInterval(() => this.sweep(), interval);
    this.sweeper.unref();
  }

  health(): HostHealth {
    const active = this.activeCount();
    const { slots, device } = this.options.trainer;
    return { status: 'ok', version: packageVersion(), busy: active >= slots, active, capacity: slots, device: { ...device } };
  }

  /** Accepts a run (202) or refuses it: RUN_EXISTS for a known id, HOST_BUSY at capacity, HOST_UNAVAILABLE when closing. */
  start(request: HostStartRequest): HostRunAccepted {
    const id = request.operation_id;
    if (this.closed) throw new KtrdrError('HOST_UNAVAILABLE', 'the training host is shutting down');
    if (this.runs.has(id)) {
      throw new KtrdrError('RUN_EXISTS', `run ${id} already exists on this host (status ${statusOf(this.runs.get(id)!)})`, {
        details: { operation_id: id },
        hint: 'poll GET /training/{id}, or DELETE it first to start it again',
      });
    }
    if (request.callback_url !== undefined && !/^https?:$/.test(new URL(request.callback_url).protocol)) {
      throw new KtrdrError('VALIDATION_FAILED', `callback_url must be an http or https URL, got '${request.callback_url}'`);
    }
    const active = this.activeCount();
    const { slots } = this.options.trainer;
    if (active >= slots) {
      this.options.logger.info({ operation_id: id, active, capacity: slots }, `refused run ${id}: host busy (${active}/${slots})`);
      throw new KtrdrError('HOST_BUSY', `the training host is at capacity (${active}/${slots} runs)`, {
        details: { active, capacity: slots },
        hint: 'retry later or use another host',
      });
    }
    const run: HostRun = {
      id,
      request,
      events: new RunEventLog(),
      log: this.options.logger.child({ operation_id: id }),
      phase: new PhaseMachine(`host run ${id}`, HOST_RUN_MOVES, 'queued'),
      device: null,
      error: null,
      result: undefined,
      resultPushed: null,
      endedAt: undefined,
      cancelRequest: new AbortController(),
      handle: undefined,
      done: Promise.resolve(),
    };
    this.runs.set(id, run);
    run.log.info({ data: request.data.length, callback: request.callback_url ?? null }, `accepted run ${id} (${active + 1}/${slots})`);
    run.done = this.execute(run).catch((error: unknown) => {
      run.log.error({ err: error }, `run ${id}: unexpected error after the run`);
      // A bug must still end the run: an unended one would hold a slot of this host for good.
      if (!isEnded(run)) this.fail(run, toOperationError(error, 'INTERNAL'));
    });
    return { operation_id: id, status: statusOf(run) };
  }

  status(id: string, query: HostRunQuery): HostRunStatusBody {
    const run = this.get(id);
    const { events, nextCursor } = run.events.read(query.after, query.limit);
    return {
      operation_id: id,
      status: statusOf(run),
      device: run.device,
      error: run.error && { code: run.error.code, message: run.error.message },
      events,
      next_cursor: nextCursor,
      result_available: run.result !== undefined,
      result_pushed: run.resultPushed,
    };
  }

  /** Asks a run to stop; it ends `cancelled` once it has (at its next batch). A finished run is left as it is. */
  cancel(id: string): HostRunAccepted {
    const run = this.get(id);
    if (!isEnded(run) && !isCancelRequested(run)) {
      run.log.info(`cancel requested for run ${id}`);
      run.cancelRequest.abort(new KtrdrError('CANCELLED', 'training cancelled'));
      run.handle?.cancel('cancel requested by the backend');
    }
    return { operation_id: id, status: statusOf(run) };
  }

  /** The artifact as gzip-compressed JSON. RESULT_NOT_READY while there is none (not completed, or failed/cancelled). */
  result(id: string): Buffer {
    const run = this.get(id);
    if (run.result === undefined) {
      throw new KtrdrError('RESULT_NOT_READY', `run ${id} has no result (status ${statusOf(run)})`, {
        details: { operation_id: id, status: statusOf(run) },
        hint: isEnded(run) ? undefined : 'wait until the run has completed',
      });
    }
    return run.result;
  }

  /** The backend's acknowledgement: forget a finished run and its result. RUN_ACTIVE while it still runs. */
  remove(id: string): void {
    const run = this.get(id);
    if (!isEnded(run)) {
      throw new KtrdrError('RUN_ACTIVE', `run ${id} is still ${statusOf(run)}`, {
        details: { operation_id: id, status: statusOf(run) },
        hint: 'cancel it first',
      });
    }
    this.runs.delete(id);
    run.log.info(`run ${id} removed (acknowledged)`);
  }

  /** Forgets finished runs older than the retention time, except while their result is still being pushed. */
  sweep(): number {
    const cutoff = this.now() - this.retentionMs;
    let removed = 0;
    for (const run of [...this.runs.values()]) {
      if (!isEnded(run) || run.phase.is('pushing') || run.endedAt! > cutoff) continue;
      this.runs.delete(run.id);
      removed++;
      run.log.info({ result_pushed: run.resultPushed, had_result: run.result !== undefined }, `run ${run.id} expired after the retention time`);
    }
    return removed;
  }

  /** Refuses new runs, cancels the running ones, gives up pending pushes and waits until everything has ended. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.sweeper);
    this.closing.abort();
    for (const run of this.runs.values()) this.cancel(run.id);
    await Promise.all([...this.runs.values()].map((run) => run.done));
    await this.options.trainer.close();
  }

  private get(id: string): HostRun {
    const run = this.runs.get(id);
    if (run === undefined) throw new KtrdrError('OPERATION_NOT_FOUND', `no run ${id} on this host`, { details: { operation_id: id } });
    return run;
  }

  private activeCount(): number {
    let active = 0;
    for (const run of this.runs.values()) if (!isEnded(run)) active++;
    return active;
  }

  /** The whole life of one run; never rejects. */
  private async execute(run: HostRun): Promise<void> {
    const outcome = await this.train(run);
    await this.finish(run, outcome);
    if (run.phase.is('pushing')) await this.push(run);
  }

  private async train(run: HostRun): Promise<RunOutcome> {
    const { request } = run;
    let dataDir: string | undefined;
    try {
      const backendUrl = this.options.backendUrl ?? (request.callback_url !== undefined ? backendBaseOf(request.callback_url) : undefined);
      dataDir = (await this.options.data.prepare(run.id, request.data, backendUrl, run.cancelRequest.signal)).dir;
      if (isCancelRequested(run)) return { status: 'cancelled', started: false };
      if (backendUrl !== undefined) await this.adoptBackendCheckpoint(run, backendUrl);
      if (isCancelRequested(run)) return { status: 'cancelled', started: false };
      const outcome = await this.runTrainer(run, dataDir, backendUrl);
      if (outcome.status !== 'failed' || outcome.error.code !== 'CHECKPOINT_MISMATCH' || isCancelRequested(run)) return outcome;
      // The checkpoint was computed from another strategy text or other data (the pipeline refused it before the
      // first epoch): the run still has its data and its slot, so it trains from the start rather than failing.
      this.runLog(run, 'warn', `${outcome.error.message}; training from epoch 1 instead`);
      await this.options.trainer.checkpoints?.remove(run.id);
      return await this.runTrainer(run, dataDir, backendUrl);
    } catch (error) {
      if (isCancelRequested(run)) return { status: 'cancelled', started: false };
      return { status: 'failed', error: toOperationError(error, 'INTERNAL') };
    } finally {
      if (dataDir !== undefined)
        await this.options.data.release(dataDir).catch((error: unknown) => run.log.warn({ err: error }, `could not remove ${dataDir}`));
    }
  }

  /**
   * Puts the backend's newest checkpoint of this run in the host's own copy, where the pipeline's resume finds it:
   * a run the backend resumed on this host, or a queue job another host had started, continues from there. A run the
   * backend has none of (a new one) starts from epoch 1, and so does one whose checkpoint cannot be had: a warning
   * in the run log says so, and the run itself is still correct, only longer.
   */
  private async adoptBackendCheckpoint(run: HostRun, backendUrl: string): Promise<void> {
    const store = this.options.trainer.checkpoints;
    if (store === undefined) return;
    try {
      const fetched = await fetchNewestCheckpoint({ backendUrl, operationId: run.id, token: this.options.token, signal: run.cancelRequest.signal });
      if (fetched === null) return;
      await store.write(run.id, fetched.epoch, fetched.bytes);
      run.log.info({ epoch: fetched.epoch }, `run ${run.id}: fetched the backend's checkpoint at epoch ${fetched.epoch}`);
    } catch (error) {
      if (isCancelRequested(run)) return;
      this.runLog(
        run,
        'warn',
        `Could not fetch the backend's checkpoint (${error instanceof Error ? error.message : String(error)}); training from epoch 1`,
      );
    }
  }

  /** A line in the run's log as the backend shows it, besides the host's own log. */
  private runLog(run: HostRun, level: 'info' | 'warn', msg: string): void {
    run.events.append('log', { time: this.now(), level, msg });
    run.log[level](msg);
  }

  private async runTrainer(run: HostRun, dataDir: string, backendUrl: string | undefined): Promise<RunOutcome> {
    const checkpointPush =
      backendUrl === undefined
        ? undefined
        : { url: `${backendUrl}/api/v1/operations/${encodeURIComponent(run.id)}/checkpoint`, token: this.options.token };
    run.handle = this.options.trainer.start(
      this.jobOf(run.request),
      dataDir,
      {
        onStart: ({ device }) => this.markRunning(run, device),
        onProgress: (progress) => run.events.append('progress', { ...progress }),
        onLogs: (records) => {
          for (const record of records) {
            run.events.append('log', { ...record });
            run.log.debug(record.msg);
          }
        },
        onEpochs: (records) => {
          for (const record of records) run.events.append('metric', { ...record });
        },
      },
      checkpointPush,
    );
    return run.handle.outcome;
  }

  private jobOf(request: HostStartRequest): TrainingJob {
    return {
      operationId: request.operation_id,
      strategyYaml: request.strategy_yaml,
      strategySource: request.request.strategy_source ?? '<request>',
      data: request.data,
    };
  }

  private markRunning(run: HostRun, device: string): void {
    // A run that trains again from epoch 1 after a refused checkpoint has started already.
    if (run.phase.is('running')) return;
    run.phase.moveTo('running');
    run.device = device;
    run.events.append('started', { device });
    run.log.info(`run ${run.id} started on ${device}`);
  }

  private async finish(run: HostRun, outcome: RunOutcome): Promise<void> {
    switch (outcome.status) {
      case 'completed': {
        let result: Buffer;
        try {
          result = await gzipAsync(artifactToJson(outcome.artifact));
        } catch (error) {
          return this.finish(run, { status: 'failed', error: toOperationError(error, 'INTERNAL') });
        }
        // Result and status change together, so a poller never sees `completed` without a result to fetch.
        run.result = result;
        this.end(run, run.request.callback_url === undefined ? 'completed' : 'pushing');
        run.log.info({ weights_sha256: outcome.artifact.manifest.weights_sha256, bytes: result.length }, `run ${run.id} completed`);
        return;
      }
      case 'cancelled':
        this.end(run, 'cancelled');
        run.log.info(`run ${run.id} cancelled`);
        return;
      case 'failed':
        this.fail(run, outcome.error);
        return;
      default: {
        const unknown: never = outcome;
        throw new Error(`unknown run outcome ${JSON.stringify(unknown)}`);
      }
    }
  }

  private fail(run: HostRun, error: OperationError): void {
    run.error = error;
    this.end(run, 'failed');
    run.log.warn({ error }, `run ${run.id} failed: [${error.code}] ${error.message}`);
  }

  private end(run: HostRun, phase: 'pushing' | 'completed' | 'failed' | 'cancelled'): void {
    run.phase.moveTo(phase);
    run.endedAt = this.now();
  }

  /** A run is `pushing` only with a result and a callback URL. */
  private async push(run: HostRun): Promise<void> {
    try {
      await this.options
        .beforePush?.(run.id)
        .catch((error: unknown) => run.log.warn({ err: error }, `before pushing run ${run.id}: ${(error as Error).message}`));
      run.resultPushed = await pushResult({
        url: run.request.callback_url!,
        body: run.result!,
        token: this.options.token,
        delaysMs: this.options.pushDelaysMs ?? DEFAULT_PUSH_DELAYS_MS,
        attemptTimeoutMs: this.options.pushTimeoutMs ?? DEFAULT_PUSH_TIMEOUT_MS,
        signal: this.closing.signal,
        logger: run.log,
      });
    } finally {
      run.phase.moveTo('completed');
    }
  }
}

function statusOf(run: HostRun): HostRunStatus {
  return hostRunStatus(run.phase.current);
}

function isEnded(run: HostRun): boolean {
  return hasEnded(run.phase.current);
}

function isCancelRequested(run: HostRun): boolean {
  return run.cancelRequest.signal.aborted;
}

/**
 * The backend's base URL from a result callback `{base}/api/v1/trainings/{id}/result`. Keeping the path (not just
 * the origin) matters when the backend sits under a prefix behind a proxy (`KTRDR_PUBLIC_URL=http://proxy/ktrdr`).
 */
export function backendBaseOf(callbackUrl: string): string {
  const url = new URL(callbackUrl);
  const at = url.pathname.lastIndexOf('/api/v1/');
  const path = at >= 0 ? url.pathname.slice(0, at) : '';
  return `${url.origin}${path}`;
}
