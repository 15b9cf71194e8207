import { KtrdrError } from '../errors.js';
import type { ModelStore } from '../models/model-store.js';
import type { Operation } from '../operations/operation.js';
import type { ModelArtifact } from '../training/artifact.js';

/** A model version written for an operation. `created` is false when it existed already (a repeated save). */
export interface SavedModel {
  readonly version: number;
  readonly created: boolean;
}

/**
 * The one way a run's artifact reaches the model store: checked against the operation it claims to belong to first,
 * so no other strategy's or operation's result can be written under this operation's name.
 */
export class ModelWriter {
  constructor(private readonly models: ModelStore) {}

  async save(operation: Operation, artifact: ModelArtifact): Promise<SavedModel> {
    checkArtifactBelongs(artifact, operation);
    const saved = await this.models.save(artifact);
    return { version: saved.version, created: saved.created };
  }
}

/** A result must be this operation's run of this strategy; anything else is refused before it reaches the model store. */
export function checkArtifactBelongs(artifact: ModelArtifact, operation: Operation): void {
  if (artifact.manifest.operation_id !== operation.id || artifact.strategy_name !== operation.strategy) {
    throw new KtrdrError('VALIDATION_FAILED', `the artifact (operation ${String(artifact.manifest.operation_id)}, strategy ${artifact.strategy_name}) does not belong to operation ${operation.id} of strategy ${operation.strategy}`, {
      details: { operation_id: operation.id, strategy: operation.strategy, artifact_operation_id: artifact.manifest.operation_id, artifact_strategy: artifact.strategy_name },
    });
  }
}

/** The model version an operation recorded (completed, or recovered after HOST_LOST), or null. */
export function savedVersion(operation: Operation): number | null {
  const version = operation.result?.model_version;
  return typeof version === 'number' ? version : null;
}
