import { KtrdrError } from '../errors.js';
import type { Operation } from '../operations/operation.js';
import type { OperationStore } from '../operations/operation-store.js';
import type { Logger, LogRecord } from '../util/logger.js';
import { savedVersion, type ModelWriter } from './model-writer.js';
import { trainingResultSummary } from './result-summary.js';

export interface KeptModelsDeps {
  readonly operations: OperationStore;
  readonly writer: ModelWriter;
  readonly logger: Logger;
  readonly now: () => Date;
  /** How often kept models are offered to the model store again. @defaultValue 30 s */
  readonly retryIntervalMs?: number;
}

const DEFAULT_RETRY_INTERVAL_MS = 30_000;

/**
 * Models of runs that finished but could not be written (their operation failed `STORAGE_FULL` or
 * `MODEL_SAVE_FAILED` and the artifact waits in the spool): saved once the store can take them again, on a timer or
 * on request (`ktrdr ops save`), exactly once. The operation stays `failed`, as everyone who saw it fail was told,
 * and gets the saved model attached as its `result` (like a model recovered from a lost host).
 */
export class KeptModels {
  private readonly saving = new Map<string, Promise<Operation>>();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly deps: KeptModelsDeps) {}

  /** Offers every kept model to the store now and then every retry interval, until `stop`. */
  startRetrying(): void {
    if (this.timer !== undefined) return;
    const interval = this.deps.retryIntervalMs ?? DEFAULT_RETRY_INTERVAL_MS;
    const tick = (): void => {
      void this.saveAll().finally(() => {
        if (this.timer !== undefined) this.timer = setTimeout(tick, interval).unref();
      });
    };
    this.timer = setTimeout(tick, 0).unref();
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Tries every kept model once; a model that still cannot be written stays kept for the next try. */
  async saveAll(): Promise<void> {
    for (const id of await this.deps.writer.spool.operationIds()) {
      await this.save(id).catch((error: unknown) => this.deps.logger.debug({ operation_id: id, err: error }, `kept model of ${id} not saved yet`));
    }
  }

  /**
   * Saves the kept model of a failed operation and attaches it as the operation's result. A model saved before is
   * answered with the operation as it is; `NO_KEPT_MODEL` when nothing is kept for it.
   */
  save(id: string): Promise<Operation> {
    let pending = this.saving.get(id);
    if (pending === undefined) {
      pending = this.saveNow(id).finally(() => this.saving.delete(id));
      this.saving.set(id, pending);
    }
    return pending;
  }

  private async saveNow(id: string): Promise<Operation> {
    const { operations, writer, logger, now } = this.deps;
    const operation = await operations.get(id);
    if (savedVersion(operation) !== null) {
      await writer.spool.remove(id);
      return operation;
    }
    const artifact = await writer.spool.read(id);
    if (artifact === undefined) {
      throw new KtrdrError('NO_KEPT_MODEL', `operation ${id} has no model waiting to be saved`, {
        details: { id, status: operation.status, error: operation.error?.code ?? null },
      });
    }
    if (operation.status !== 'failed') {
      throw new KtrdrError('INVALID_TRANSITION', `operation ${id} is ${operation.status}; only a failed operation gets a kept model attached`, {
        details: { id, status: operation.status },
      });
    }
    const saved = await writer.save(operation, artifact);
    const after = await operations.attachRecoveredResult(id, {
      ...trainingResultSummary(artifact, saved.version),
      recovered: true,
      recovered_at: now().toISOString(),
    });
    await writer.spool.remove(id);
    const line: LogRecord = {
      time: now().getTime(),
      level: 'warn',
      msg: `Saved the kept model after [${operation.error?.code ?? 'unknown'}]: ${artifact.strategy_name} v${saved.version}`,
    };
    await operations.appendLogs(id, [line]);
    logger.warn({ operation_id: id, model_version: saved.version }, `training ${id}: ${line.msg}`);
    return after;
  }
}
