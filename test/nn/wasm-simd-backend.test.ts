import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { KtrdrError } from '../../src/errors.js';
import type { BackendTrainingOptions, TrainBackend } from '../../src/nn/backend.js';
import { OPTIMIZER_DEFAULTS } from '../../src/nn/optimizers.js';
import { availableBackends, createBackend, resolveBackend } from '../../src/nn/backend-registry.js';
import { ACTIVATIONS, type MlpSpec } from '../../src/nn/spec.js';
import { flattenWeights, initGlorotUniform } from '../../src/nn/weights.js';
import { projectRoot } from '../../src/util/package-info.js';
import { SeededRandom } from '../../src/util/random.js';
import { allocateNetwork } from '../../src/nn/wasm/gradient-engine.js';
import { GradientWorkerPool, idleGradientWorkers } from '../../src/nn/wasm/gradient-worker-pool.js';
import { WasmArena } from '../../src/nn/wasm/wasm-arena.js';
import { WasmSimdBackend } from '../../src/nn/wasm/wasm-simd-backend.js';
import { randomArray } from './helpers.js';

/**
 * What the conformance suite does not pin down for wasm-simd: every fused activation and dropout against js-cpu, on
 * sizes that leave remainders in every kernel tile (7 inputs, 13 and 6 hidden units, 3 classes, batches of 11 and 5).
 */
const options: BackendTrainingOptions = {
  optimizer: { ...OPTIMIZER_DEFAULTS, kind: 'adam', learningRate: 1e-2, weightDecay: 1e-4, momentum: 0 },
  gradientClip: 0,
  classWeights: null,
  dropoutSeed: 99,
};

async function trainedParams(backendId: string, spec: MlpSpec): Promise<{ params: Float32Array; loss: number; rng: number; backend: TrainBackend }> {
  const rng = new SeededRandom(4);
  const rows = 27;
  const x = randomArray(rows * spec.inputs, rng);
  const y = Int32Array.from({ length: rows }, (_, i) => (i * 5) % 3);
  const backend = createBackend(backendId);
  await backend.init(initGlorotUniform(spec, rng), options);
  await backend.setTrainData(x, y, rows);
  const order = Int32Array.from({ length: rows }, (_, i) => (i * 10) % rows);
  let loss = 0;
  for (let epoch = 0; epoch < 3; epoch++) loss = (await backend.runEpoch(order, 11)).loss;
  const state = await backend.exportState();
  return { params: state.params, loss, rng: state.dropoutRngState, backend };
}

const describeWasm = availableBackends().includes('wasm-simd') ? describe : describe.skip;

describeWasm('WasmSimdBackend', () => {
  for (const activation of ACTIVATIONS) {
    for (const dropout of [0, 0.25]) {
      it(`should train like js-cpu with ${activation}, dropout ${dropout} (same masks, within 1e-5)`, async () => {
        const spec: MlpSpec = { inputs: 7, hidden: [13, 6], outputs: 3, activation, dropout };
        const reference = await trainedParams('js-cpu', spec);
        const sut = await trainedParams('wasm-simd', spec);
        expect(sut.rng).toBe(reference.rng);
        expect(sut.loss).toBeCloseTo(reference.loss, 5);
        const worst = Math.max(...sut.params.map((value, i) => Math.abs(value - reference.params[i]) / Math.max(1, Math.abs(reference.params[i]))));
        expect(worst).toBeLessThanOrEqual(1e-5);

        // Inference from the same weights: the training comparison above already allows for the weights' drift.
        await sut.backend.setWeights(await reference.backend.getWeights());
        const x = randomArray(2000 * spec.inputs, new SeededRandom(6));
        const [expected, actual] = [await reference.backend.predictLogits(x, 2000), await sut.backend.predictLogits(x, 2000)];
        const worstLogit = Math.max(...actual.map((value, i) => Math.abs(value - expected[i]) / Math.max(1, Math.abs(expected[i]))));
        expect(worstLogit).toBeLessThanOrEqual(1e-5);
      });
    }
  }

  for (const kind of ['adamw', 'sgd', 'rmsprop'] as const) {
    it(`should step with ${kind} like js-cpu, and follow setLearningRate (within 1e-5)`, async () => {
      const spec: MlpSpec = { inputs: 7, hidden: [13, 6], outputs: 3, activation: 'relu', dropout: 0 };
      const initial = initGlorotUniform(spec, new SeededRandom(4));
      const rows = 40;
      const x = randomArray(rows * spec.inputs, new SeededRandom(5));
      const y = Int32Array.from({ length: rows }, (_, i) => i % 3);
      const order = Int32Array.from({ length: rows }, (_, i) => i);
      const run = async (id: string) => {
        const backend = createBackend(id);
        await backend.init(initial, { ...options, optimizer: { ...options.optimizer, kind, momentum: kind === 'sgd' ? 0.9 : 0.5 } });
        await backend.setTrainData(x, y, rows);
        await backend.runEpoch(order, 16);
        await backend.setLearningRate(3e-3);
        await backend.runEpoch(order, 16);
        return flattenWeights(await backend.getWeights());
      };
      const [expected, actual] = [await run('js-cpu'), await run('wasm-simd')];
      const worst = Math.max(...actual.map((value, i) => Math.abs(value - expected[i]) / Math.max(1, Math.abs(expected[i]))));
      expect(worst).toBeLessThanOrEqual(1e-5);
      expect(actual).not.toEqual(flattenWeights(initial));
    });
  }

  it('should refuse a loss other than cross-entropy with BACKEND_UNAVAILABLE', async () => {
    const spec: MlpSpec = { inputs: 2, hidden: [3], outputs: 2, activation: 'relu', dropout: 0 };
    const sut = createBackend('wasm-simd');
    await expect(sut.init(initGlorotUniform(spec, new SeededRandom(1)), { ...options, loss: { kind: 'focal', gamma: 2 } })).rejects.toMatchObject({
      code: 'BACKEND_UNAVAILABLE',
    });
  });

  it('should give bit-identical weights for the same inputs, in a fresh instance', async () => {
    const spec: MlpSpec = { inputs: 7, hidden: [13, 6], outputs: 3, activation: 'relu', dropout: 0.25 };
    const [first, second] = [await trainedParams('wasm-simd', spec), await trainedParams('wasm-simd', spec)];
    expect(Buffer.from(second.params.buffer).equals(Buffer.from(first.params.buffer))).toBe(true);
  });

  it('should keep its weights when memory grows for a bigger batch', async () => {
    const spec: MlpSpec = { inputs: 7, hidden: [13, 6], outputs: 3, activation: 'relu', dropout: 0 };
    const sut = createBackend('wasm-simd');
    const initial = initGlorotUniform(spec, new SeededRandom(1));
    await sut.init(initial, options);
    const rows = 20_000;
    await sut.setTrainData(randomArray(rows * 7, new SeededRandom(2)), new Int32Array(rows), rows);
    expect(flattenWeights(await sut.getWeights())).toEqual(flattenWeights(initial));
  });
});

describe(resolveBackend.name, () => {
  it('should pick wasm-simd for auto where SIMD validates, else js-cpu', () => {
    expect(resolveBackend('auto')).toBe(availableBackends().includes('wasm-simd') ? 'wasm-simd' : 'js-cpu');
    expect(resolveBackend('js-cpu')).toBe('js-cpu');
  });

  it('should fall back to js-cpu where the runtime does not validate SIMD128', () => {
    // A runtime without SIMD128, simulated in a child process: WebAssembly.validate refuses every module there.
    const registry = pathToFileURL(join(projectRoot(), 'dist', 'src', 'nn', 'backend-registry.js')).href;
    const child = spawnSync(
      process.execPath,
      [
        '--import',
        'data:text/javascript,WebAssembly.validate = () => false;',
        '--input-type=module',
        '-e',
        `const r = await import(${JSON.stringify(registry)}); console.log(JSON.stringify([r.availableBackends(), r.resolveBackend('auto')]));`,
      ],
      { encoding: 'utf8' },
    );
    expect(child.stderr).toBe('');
    expect(JSON.parse(child.stdout)).toEqual([['js-cpu'], 'js-cpu']);
  });

  it('should refuse a backend that cannot run here with BACKEND_UNAVAILABLE', () => {
    const error = (() => {
      try {
        return resolveBackend('webgpu');
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(KtrdrError);
    expect((error as KtrdrError).code).toBe('BACKEND_UNAVAILABLE');
  });
});

describeWasm('WasmSimdBackend with worker threads', () => {
  it('should give bit-identical weights, losses and dropout state for 1, 2 and 3 threads', async () => {
    const spec: MlpSpec = { inputs: 9, hidden: [17, 8], outputs: 3, activation: 'relu', dropout: 0.2 };
    const rows = 700;
    const rng = new SeededRandom(12);
    const x = randomArray(rows * spec.inputs, rng);
    const y = Int32Array.from({ length: rows }, (_, i) => (i * 7) % 3);
    const initial = initGlorotUniform(spec, rng);
    const order = Int32Array.from({ length: rows }, (_, i) => (i * 331) % rows);
    const run = async (threads: number) => {
      const sut = new WasmSimdBackend({ threads });
      await sut.init(initial, { ...options, classWeights: Float32Array.from([1, 3, 0.5]) });
      await sut.setTrainData(x, y, rows);
      // 100 rows = 4 micro-batches, the last one short; the final batch of 700 has 0 rows left over, so also try 96.
      const losses = [(await sut.runEpoch(order, 100)).loss, (await sut.runEpoch(order, 96)).loss];
      const state = await sut.exportState();
      await sut.dispose();
      return { losses, state };
    };
    const one = await run(1);
    for (const threads of [2, 3]) {
      const many = await run(threads);
      expect(many.losses).toEqual(one.losses);
      expect(many.state.dropoutRngState).toBe(one.state.dropoutRngState);
      expect(Buffer.from(many.state.params.buffer).equals(Buffer.from(one.state.params.buffer))).toBe(true);
      expect(Buffer.from(many.state.optimizer.v.buffer).equals(Buffer.from(one.state.optimizer.v.buffer))).toBe(true);
    }
  });

  it('should give bit-identical logits for 1, 2 and 3 threads when inference is shared out', async () => {
    const spec: MlpSpec = { inputs: 6, hidden: [10], outputs: 3, activation: 'relu', dropout: 0.1 };
    const rng = new SeededRandom(21);
    const initial = initGlorotUniform(spec, rng);
    // 5,000 rows: five inference chunks, the last one short.
    const rows = 5000;
    const x = randomArray(rows * spec.inputs, rng);
    const logits = async (threads: number) => {
      const sut = new WasmSimdBackend({ threads });
      await sut.init(initial, options);
      const out = await sut.predictLogits(x, rows);
      await sut.dispose();
      return Buffer.from(out.buffer);
    };
    const one = await logits(1);
    expect((await logits(2)).equals(one)).toBe(true);
    expect((await logits(3)).equals(one)).toBe(true);
  });

  it('should reuse released worker threads for the next training, whatever its network', async () => {
    const train = async (spec: MlpSpec, threads: number) => {
      const rng = new SeededRandom(8);
      const rows = 300;
      const sut = new WasmSimdBackend({ threads });
      await sut.init(initGlorotUniform(spec, rng), options);
      await sut.setTrainData(
        randomArray(rows * spec.inputs, rng),
        Int32Array.from({ length: rows }, (_, i) => i % spec.outputs),
        rows,
      );
      await sut.runEpoch(
        Int32Array.from({ length: rows }, (_, i) => i),
        128,
      );
      const params = Buffer.from((await sut.exportState()).params.buffer);
      await sut.dispose();
      return params;
    };
    const first: MlpSpec = { inputs: 4, hidden: [8], outputs: 2, activation: 'relu', dropout: 0 };
    const second: MlpSpec = { inputs: 7, hidden: [5, 3], outputs: 3, activation: 'leaky_relu', dropout: 0.3 };
    await train(first, 2);
    const idle = idleGradientWorkers();
    expect(idle).toBeGreaterThanOrEqual(1);
    expect((await train(second, 2)).equals(await train(second, 1))).toBe(true);
    expect(idleGradientWorkers()).toBe(idle);
  });

  it('should say why a worker failed, and end that worker instead of reusing it', async () => {
    const spec: MlpSpec = { inputs: 3, hidden: [4], outputs: 2, activation: 'relu', dropout: 0 };
    const memory = WasmArena.createMemory();
    const sut = await GradientWorkerPool.start(1, memory, allocateNetwork(new WasmArena(memory), spec), null);
    const idle = idleGradientWorkers();
    // A batch before any data: the worker's engine refuses it.
    const job = { start: 0, rows: 64, rngState: null, totalWeight: 64, microBatches: 2 };
    sut.dispatch(job);
    expect(() => sut.collect(job, [])).toThrow(/gradient worker failed: .*before setTrainData/);
    await sut.dispose();
    expect(idleGradientWorkers()).toBe(idle);
  });

  it('should train to the same bits on a memory another training has left its numbers in', async () => {
    const spec: MlpSpec = { inputs: 7, hidden: [13, 6], outputs: 3, activation: 'relu', dropout: 0.25 };
    const first = await trainedParams('wasm-simd', spec);
    await first.backend.dispose();
    // A bigger network on other data fills the memory the next training gets with numbers of its own.
    const other = await trainedParams('wasm-simd', { inputs: 19, hidden: [31, 17], outputs: 3, activation: 'tanh', dropout: 0.5 });
    await other.backend.dispose();
    const again = await trainedParams('wasm-simd', spec);
    await again.backend.dispose();
    expect(Buffer.from(again.params.buffer).equals(Buffer.from(first.params.buffer))).toBe(true);
    expect(again.loss).toBe(first.loss);
  });

  it('should refuse a thread count that is not a positive integer', async () => {
    const sut = new WasmSimdBackend({ threads: 0 });
    const spec: MlpSpec = { inputs: 2, hidden: [3], outputs: 2, activation: 'relu', dropout: 0 };
    await expect(sut.init(initGlorotUniform(spec, new SeededRandom(1)), options)).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
  });
});
