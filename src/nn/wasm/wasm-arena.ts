/** The size of a wasm memory page. */
const PAGE_BYTES = 65_536;

/** Where the bump pointer lives in the memory. Offsets below FIRST_REGION stay unused, so 0 can mean "none". */
const TOP_CELL = 16;
const FIRST_REGION = 64;

/** The most a wasm32 memory holds (4 GiB); a shared memory must name its maximum, and reserves it, unbacked. */
const MAX_PAGES = 65_536;

/**
 * Lays regions out in the memory one training shares between the backend and its gradient workers, from any of those
 * threads. There is no free: a training allocates its parameters and data once and its per-batch buffers once per
 * batch size, so a bump pointer is all it takes. The pointer lives in the memory itself and moves with Atomics, so
 * each thread allocates its own buffers without asking the others.
 *
 * Views over shared memory never detach when it grows, but a thread may still hold the buffer from before another
 * thread grew it: `f32` and `i32` refresh it (`grow(0)`) when a region lies past its end.
 */
export class WasmArena {
  private readonly top: Uint32Array;

  /** Attaches to a memory from `WasmArena.createMemory` (made in this thread or posted from another). */
  constructor(readonly memory: WebAssembly.Memory) {
    this.top = new Uint32Array(memory.buffer, TOP_CELL, 1);
  }

  /** A new, empty shared memory for one training. */
  static createMemory(): WebAssembly.Memory {
    const memory = new WebAssembly.Memory({ initial: 1, maximum: MAX_PAGES, shared: true });
    new Uint32Array(memory.buffer, TOP_CELL, 1)[0] = FIRST_REGION;
    return memory;
  }

  /** A 16-byte aligned region (what v128 loads want) of `length` 4-byte elements. */
  allocate(length: number): number {
    const bytes = (length * 4 + 15) & ~15;
    const at = Atomics.add(this.top, 0, bytes);
    // Racing threads may both grow the memory; each grows it to at least what it needs, so none gets too little.
    const missing = Math.ceil((at + bytes) / PAGE_BYTES) - this.memory.grow(0);
    if (missing > 0) this.memory.grow(missing);
    return at;
  }

  f32(pointer: number, length: number): Float32Array {
    return new Float32Array(this.bufferReaching(pointer + length * 4), pointer, length);
  }

  i32(pointer: number, length: number): Int32Array {
    return new Int32Array(this.bufferReaching(pointer + length * 4), pointer, length);
  }

  private bufferReaching(end: number): ArrayBufferLike {
    const buffer = this.memory.buffer;
    if (buffer.byteLength >= end) return buffer;
    this.memory.grow(0);
    return this.memory.buffer;
  }
}
