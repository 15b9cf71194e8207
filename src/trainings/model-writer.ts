import { KtrdrError, isKtrdrError, type ErrorCode } from '../errors.js';
import type { ModelStore } from '../models/model-store.js';
import type { Operation } from '../operations/operation.js';
import type { ModelArtifact } from '../training/artifact.js';
import type { ModelSpool } from './model-spool.js';

/** A model version written for an operation. `created` is false when it existed already (a repeated save). */
export interface SavedModel {
  readonly version: number;
  readonly created: boolean;
}

/** File system errors that mean "no room": the model is saved once space is back. */
const NO_SPACE = new Set(['ENOSPC', 'EDQUOT']);

/**
 * The one way a run's artifact reaches the model store: checked against the operation it claims to belong to first,
 * so no other strategy's or operation's result can be written under this operation's name. When the store cannot
 * write it (disk full, read-only or broken models directory), the artifact is kept in the spool and the error says
 * so (`STORAGE_FULL` or `MODEL_SAVE_FAILED`): a trained model is never lost to the disk it is saved on.
 */
export class ModelWriter {
  constructor(
    private readonly models: ModelStore,
    readonly spool: ModelSpool,
  ) {}

  async save(operation: Operation, artifact: ModelArtifact): Promise<SavedModel> {
    checkArtifactBelongs(artifact, operation);
    try {
      const saved = await this.models.save(artifact);
      return { version: saved.version, created: saved.created };
    } catch (error) {
      if (isKtrdrError(error)) throw error;
      throw await this.keepAfter(operation.id, artifact, error);
    }
  }

  private async keepAfter(operationId: string, artifact: ModelArtifact, error: unknown): Promise<KtrdrError> {
    const errno = (error as NodeJS.ErrnoException).code;
    const code: ErrorCode = errno !== undefined && NO_SPACE.has(errno) ? 'STORAGE_FULL' : 'MODEL_SAVE_FAILED';
    const kept = await this.spool.keep(operationId, artifact);
    const where = 'file' in kept ? `kept in ${kept.file}` : 'kept in memory until this server stops (the spool could not be written either)';
    const reason = error instanceof Error ? error.message : String(error);
    return new KtrdrError(code, `the model could not be saved (${reason}); it was ${where}`, {
      details: { operation_id: operationId, errno: errno ?? null, kept: 'file' in kept ? kept.file : 'memory' },
      hint:
        code === 'STORAGE_FULL'
          ? `free space for the models directory: the model is saved automatically, or now with \`ktrdr ops save ${operationId}\``
          : `make the models directory writable, then run \`ktrdr ops save ${operationId}\``,
      cause: error,
    });
  }
}

/** A result must be this operation's run of this strategy; anything else is refused before it reaches the model store. */
export function checkArtifactBelongs(artifact: ModelArtifact, operation: Operation): void {
  if (artifact.manifest.operation_id !== operation.id || artifact.strategy_name !== operation.strategy) {
    throw new KtrdrError(
      'VALIDATION_FAILED',
      `the artifact (operation ${String(artifact.manifest.operation_id)}, strategy ${artifact.strategy_name}) does not belong to operation ${operation.id} of strategy ${operation.strategy}`,
      {
        details: {
          operation_id: operation.id,
          strategy: operation.strategy,
          artifact_operation_id: artifact.manifest.operation_id,
          artifact_strategy: artifact.strategy_name,
        },
      },
    );
  }
}

/** The model version an operation recorded (completed, or recovered after HOST_LOST), or null. */
export function savedVersion(operation: Operation): number | null {
  const version = operation.result?.model_version;
  return typeof version === 'number' ? version : null;
}
