/**
 * Lays regions out in a wasm instance's memory, growing it as needed. There is no free: a backend allocates its
 * parameters once and its per-batch buffers once per batch size, so a bump pointer is all it takes.
 *
 * Growing memory detaches every typed array over the old buffer, so views are made on demand (`f32`, `i32`) and
 * never kept across an allocation.
 */
export class WasmArena {
  /** Offset 0 stays unused, so a pointer of 0 can mean "none" to the kernels. */
  private top = 64;

  constructor(private readonly memory: WebAssembly.Memory) {}

  /** A 16-byte aligned region (what v128 loads want) of `length` 4-byte elements. */
  allocate(length: number): number {
    const at = (this.top + 15) & ~15;
    this.top = at + length * 4;
    const needed = Math.ceil(this.top / 65_536) - this.memory.buffer.byteLength / 65_536;
    if (needed > 0) this.memory.grow(needed);
    return at;
  }

  f32(pointer: number, length: number): Float32Array {
    return new Float32Array(this.memory.buffer, pointer, length);
  }

  i32(pointer: number, length: number): Int32Array {
    return new Int32Array(this.memory.buffer, pointer, length);
  }
}
