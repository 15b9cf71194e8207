import { KtrdrError } from '../errors.js';
import type { TrainBackend } from './backend.js';
import { JsCpuBackend } from './cpu/js-cpu-backend.js';
import { wasmSimdSupported } from './wasm/kernel-module.js';
import { WasmSimdBackend } from './wasm/wasm-simd-backend.js';

/**
 * Backends by id. An optional backend (one whose package is an optional dependency) registers itself from a module
 * loaded with a dynamic import, so machines without it never load its package.
 */
export type BackendFactory = (options: BackendCreateOptions) => TrainBackend;

export interface BackendCreateOptions {
  /** Threads the backend may compute with, this one included; a backend that runs on one thread ignores it. */
  readonly threads?: number;
}

/** The reference backend, and the fallback wherever another one cannot run. */
export const DEFAULT_BACKEND = 'js-cpu';
export const WASM_SIMD_BACKEND = 'wasm-simd';
/** What a strategy may ask for: a backend id, or `auto` for the fastest one this machine runs (`resolveBackend`). */
export const BACKEND_CHOICES = ['auto', DEFAULT_BACKEND, WASM_SIMD_BACKEND] as const;
export type BackendChoice = (typeof BACKEND_CHOICES)[number];

const factories = new Map<string, BackendFactory>([[DEFAULT_BACKEND, () => new JsCpuBackend()]]);
// Only where the engine validates SIMD128, so `availableBackends()` (and the conformance suite) lists what can run.
if (wasmSimdSupported()) factories.set(WASM_SIMD_BACKEND, (options) => new WasmSimdBackend(options));

export function registerBackend(id: string, factory: BackendFactory): void {
  factories.set(id, factory);
}

export function availableBackends(): string[] {
  return [...factories.keys()];
}

/** `auto` → wasm-simd where it runs, else js-cpu; a named backend must be available here. */
export function resolveBackend(choice: string): string {
  if (choice === 'auto') return factories.has(WASM_SIMD_BACKEND) ? WASM_SIMD_BACKEND : DEFAULT_BACKEND;
  if (!factories.has(choice)) {
    throw new KtrdrError('BACKEND_UNAVAILABLE', `The training backend "${choice}" cannot run here`, {
      details: { backend: choice, available: availableBackends() },
      hint: 'Use training.backend: auto, or one of the available backends.',
    });
  }
  return choice;
}

export function createBackend(id: string = DEFAULT_BACKEND, options: BackendCreateOptions = {}): TrainBackend {
  const factory = factories.get(id);
  if (factory === undefined) {
    throw new KtrdrError('VALIDATION_FAILED', `Unknown training backend "${id}"`, {
      details: { backend: id, available: availableBackends() },
    });
  }
  return factory(options);
}
