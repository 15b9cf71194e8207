/** The size of a wasm memory page. */
const PAGE_BYTES = 65_536;

/** Where the bump pointer lives in the memory. Offsets below FIRST_REGION stay unused, so 0 can mean "none". */
const TOP_CELL = 16;
const FIRST_REGION = 64;

/** The most a wasm32 memory holds (4 GiB); a shared memory must name its maximum, and reserves it, unbacked. */
const MAX_PAGES = 65_536;

/**
 * Memories of finished trainings, kept by this thread for its next ones. A shared memory is freed only once every
 * thread it was posted to has collected its handle, and a gradient worker allocates so little that it hardly ever
 * collects: without reuse each training on threads left its memory (the data and more) behind. Reuse also skips the
 * page faults of fresh memory, some milliseconds per training. A memory that grew past MAX_SPARE_BYTES is not kept,
 * so that one big training does not pin its size for the life of the thread.
 */
const spareMemories: WebAssembly.Memory[] = [];
const MAX_SPARES = 2;
const MAX_SPARE_BYTES = 256 * 2 ** 20;

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

  /** An empty shared memory for one training: a spare one (`releaseMemory`), its old contents left, or a new one. */
  static createMemory(): WebAssembly.Memory {
    const spare = spareMemories.pop();
    if (spare !== undefined) {
      new Uint32Array(currentBuffer(spare), TOP_CELL, 1)[0] = FIRST_REGION;
      return spare;
    }
    const memory = new WebAssembly.Memory({ initial: 1, maximum: MAX_PAGES, shared: true });
    new Uint32Array(memory.buffer, TOP_CELL, 1)[0] = FIRST_REGION;
    return memory;
  }

  /** Takes back the memory of a training that is over: no thread may use it any more. */
  static releaseMemory(memory: WebAssembly.Memory): void {
    if (spareMemories.length < MAX_SPARES && currentBuffer(memory).byteLength <= MAX_SPARE_BYTES) spareMemories.push(memory);
  }

  /**
   * A 16-byte aligned region (what v128 loads want) of `length` 4-byte elements. Its contents are whatever a previous
   * training left there (zero only in a new memory): the caller writes it before reading it.
   */
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
    return buffer.byteLength >= end ? buffer : currentBuffer(this.memory);
  }
}

/** The memory's buffer at its current size, even if another thread grew it since this one last looked. */
function currentBuffer(memory: WebAssembly.Memory): ArrayBufferLike {
  memory.grow(0);
  return memory.buffer;
}
