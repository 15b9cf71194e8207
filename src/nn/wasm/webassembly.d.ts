/**
 * The part of the WebAssembly JS API the wasm-simd backend uses. Node has it globally, but the project's lib
 * (ES2023, no DOM) and @types/node 20 do not declare it.
 */
declare namespace WebAssembly {
  class Memory {
    constructor(descriptor: { initial: number; maximum?: number; shared?: boolean });
    /** A SharedArrayBuffer for a shared memory. */
    readonly buffer: ArrayBufferLike;
    /** Returns the size in pages before growing; `grow(0)` also refreshes `buffer` of a shared memory. */
    grow(deltaPages: number): number;
  }
  class Module {
    constructor(bytes: Uint8Array);
  }
  class Instance {
    constructor(module: Module, imports: Record<string, Record<string, unknown>>);
    readonly exports: Record<string, unknown>;
  }
  function validate(bytes: Uint8Array): boolean;
}
