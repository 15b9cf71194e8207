import { describe, expect, it } from 'vitest';
import { availableBackends } from '../../src/nn/backend-registry.js';
import { instantiateKernels } from '../../src/nn/wasm/kernel-module.js';
import { WasmArena } from '../../src/nn/wasm/wasm-arena.js';

const describeWasm = availableBackends().includes('wasm-simd') ? describe : describe.skip;

describeWasm('wasm-simd kernels', () => {
  it('should transpose any shape exactly: whole 4×4 tiles, leftover columns and leftover rows', () => {
    const memory = WasmArena.createMemory();
    const arena = new WasmArena(memory);
    const kernels = instantiateKernels(memory);
    for (const [rows, cols] of [
      [1, 1],
      [3, 32],
      [4, 4],
      [5, 7],
      [8, 12],
      [13, 6],
      [64, 40],
    ]) {
      const src = arena.allocate(rows * cols);
      const dst = arena.allocate(rows * cols);
      arena.f32(src, rows * cols).set(Float32Array.from({ length: rows * cols }, (_, i) => i + 0.5));
      kernels.transpose(src, dst, rows, cols);
      const out = arena.f32(dst, rows * cols);
      const expected = Float32Array.from({ length: rows * cols }, (_, i) => (i % rows) * cols + Math.floor(i / rows) + 0.5);
      expect(out, `${rows}×${cols}`).toEqual(expected);
    }
  });

  it('should hand a released memory to the next training, empty', () => {
    const used = WasmArena.createMemory();
    const arena = new WasmArena(used);
    const region = arena.allocate(100_000);
    arena.f32(region, 100_000).fill(7);
    WasmArena.releaseMemory(used);

    const reused = WasmArena.createMemory();
    expect(reused).toBe(used);
    const again = new WasmArena(reused);
    expect(again.allocate(100_000)).toBe(region);
    expect(WasmArena.createMemory()).not.toBe(used);
  });

  it('should let a second thread-sized arena allocate past the first one, growing the shared memory', () => {
    const memory = WasmArena.createMemory();
    const first = new WasmArena(memory);
    const second = new WasmArena(memory);
    const a = first.allocate(10);
    const b = second.allocate(100_000);
    const c = first.allocate(3);
    expect(a % 16).toBe(0);
    expect(b).toBeGreaterThanOrEqual(a + 40);
    expect(c).toBeGreaterThanOrEqual(b + 400_000);
    first.f32(c, 3).set([1, 2, 3]);
    expect(Array.from(second.f32(c, 3))).toEqual([1, 2, 3]);
  });
});
