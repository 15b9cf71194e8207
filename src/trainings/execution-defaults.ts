import type { ExecutionMode } from '../operations/operation.js';

/**
 * The system-wide default execution mode: starts from `TRAINING_DEFAULT_MODE` and can be changed at runtime
 * (`PUT /api/v1/trainings/config`) until the next change or restart. A request's own `execution_mode` overrides it
 * for that request only.
 */
export class ExecutionDefaults {
  constructor(private mode: ExecutionMode = 'auto') {}

  get(): ExecutionMode {
    return this.mode;
  }

  /** Sets the default; returns the one it replaced. */
  set(mode: ExecutionMode): ExecutionMode {
    const previous = this.mode;
    this.mode = mode;
    return previous;
  }
}
