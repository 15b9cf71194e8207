import { KtrdrError } from '../errors.js';
import type { TrainBackend } from './backend.js';
import { JsCpuBackend } from './cpu/js-cpu-backend.js';

/**
 * Backends by id. An optional backend (one whose package is an optional dependency) registers itself from a module
 * loaded with a dynamic import, so machines without it never load its package.
 */
export type BackendFactory = () => TrainBackend;

export const DEFAULT_BACKEND = 'js-cpu';

const factories = new Map<string, BackendFactory>([[DEFAULT_BACKEND, () => new JsCpuBackend()]]);

export function registerBackend(id: string, factory: BackendFactory): void {
  factories.set(id, factory);
}

export function availableBackends(): string[] {
  return [...factories.keys()];
}

export function createBackend(id: string = DEFAULT_BACKEND): TrainBackend {
  const factory = factories.get(id);
  if (factory === undefined) {
    throw new KtrdrError('VALIDATION_FAILED', `Unknown training backend "${id}"`, {
      details: { backend: id, available: availableBackends() },
    });
  }
  return factory();
}
