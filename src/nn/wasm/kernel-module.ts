import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { KtrdrError } from '../../errors.js';

/**
 * Loading the wasm-simd kernels (assembly/kernels.ts, compiled by `npm run build:wasm`). Pointers are byte offsets
 * into the memory the instance was given (wasm-arena.ts); see the kernels' comments for what each computes.
 */
export interface WasmKernels {
  gemmNN(a: number, b: number, c: number, m: number, n: number, k: number, bias: number, activation: number): void;
  gemmTN(a: number, b: number, c: number, rows: number, n: number, k: number): void;
  columnSums(a: number, out: number, rows: number, n: number): void;
  addInto(a: number, b: number, length: number): void;
  transpose(src: number, dst: number, rows: number, cols: number): void;
  gatherRows(source: number, order: number, start: number, rows: number, width: number, out: number): void;
  setRngState(state: number): void;
  getRngState(): number;
  dropout(activated: number, dropped: number, mask: number, length: number, keepThreshold: number, keepScale: number): void;
  activationGradient(kind: number, activated: number, grad: number, mask: number, length: number): void;
  adam(
    params: number,
    grads: number,
    m: number,
    v: number,
    length: number,
    stepSize: number,
    correction2Sqrt: number,
    beta1: number,
    beta2: number,
    eps: number,
    weightDecay: number,
  ): void;
}

/**
 * Where the build puts the binary, next to the compiled module (dist/src/nn/wasm/). Running from source (tests, tsx)
 * the module sits in src/nn/wasm/, so the second candidate is the same file in the build output.
 */
const CANDIDATES = [new URL('./kernels.wasm', import.meta.url), new URL('../../../dist/src/nn/wasm/kernels.wasm', import.meta.url)];

/**
 * The smallest module that uses a SIMD128 instruction (`f32x4.splat` of a constant, dropped): if this validates, the
 * engine runs plain SIMD128, which is all the kernels use.
 */
const SIMD_PROBE = Uint8Array.from([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x04, 0x01, 0x60, 0x00, 0x00, 0x03, 0x02, 0x01, 0x00, 0x0a, 0x0c, 0x01, 0x0a, 0x00, 0x43,
  0x00, 0x00, 0x00, 0x00, 0xfd, 0x13, 0x1a, 0x0b,
]);

/** SIMD128, and shared memories (the kernels import one, so that a training's threads read the same data). */
export function wasmSimdSupported(): boolean {
  return typeof WebAssembly === 'object' && WebAssembly.validate(SIMD_PROBE) && sharedMemorySupported();
}

function sharedMemorySupported(): boolean {
  try {
    return new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true }).buffer instanceof SharedArrayBuffer;
  } catch {
    return false;
  }
}

let compiled: WebAssembly.Module | null = null;

/**
 * The kernels, compiled once per process: V8 compiles a module quickly to baseline code and recompiles its hot
 * functions optimized, in the background, as they run. A gradient worker takes the backend's module (`adoptKernels`)
 * rather than compiling its own, so it starts on the code the backend has already made fast, and spends no core on
 * compiling it again while a training waits for it.
 */
export function kernelModule(): WebAssembly.Module {
  if (compiled === null) {
    const path = CANDIDATES.map((url) => fileURLToPath(url)).find((candidate) => existsSync(candidate));
    if (path === undefined) {
      throw new KtrdrError('BACKEND_UNAVAILABLE', 'The wasm-simd kernels have not been built', {
        hint: 'Run `npm run build` (or `npm run build:wasm`), or choose training.backend: js-cpu.',
      });
    }
    compiled = new WebAssembly.Module(readFileSync(path));
  }
  return compiled;
}

/** In a gradient worker: the module its pool's backend compiled (posted with the assignment). */
export function adoptKernels(module: WebAssembly.Module): void {
  compiled = module;
}

/** An instance (its own dropout generator) over a training's memory (`WasmArena.createMemory`). */
export function instantiateKernels(memory: WebAssembly.Memory): WasmKernels {
  return new WebAssembly.Instance(kernelModule(), { env: { memory } }).exports as unknown as WasmKernels;
}
