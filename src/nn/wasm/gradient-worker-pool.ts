import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import { KtrdrError } from '../../errors.js';
import { projectRoot } from '../../util/package-info.js';
import { PREDICT_CHUNK_ROWS } from '../predict.js';
import { kernelModule } from './kernel-module.js';
import type { BatchPosition, DataLayout, MicroBatchResult, NetworkLayout } from './gradient-engine.js';
import {
  CONTROL,
  SharedGradientSums,
  KIND_BATCH,
  KIND_MESSAGE,
  KIND_PREDICT,
  RESULT_BASE,
  TOTAL_WEIGHT,
  type GradientWorkerAssignment,
  type GradientWorkerMessage,
  FAILURE_BYTES,
  recordedFailure,
  waitUntil,
  wakeSleepers,
} from './gradient-worker-protocol.js';

/** One batch as the backend hands it out, cut into `microBatches` micro-batches. */
export interface BatchJob extends BatchPosition {
  readonly microBatches: number;
}

/**
 * Worker threads no pool holds. Starting a thread and loading the module costs tens of milliseconds, as much as a
 * short training on the threads it would speed up (a sweep runs hundreds), so a released worker waits here, unref'd so
 * that it never keeps the process alive, for the next pool.
 */
const idleWorkers: Worker[] = [];

/** How many released workers wait for a pool (what a test checks to see that threads are reused). */
export function idleGradientWorkers(): number {
  return idleWorkers.length;
}

/** More idle workers than cores would never all be used at once. */
const MAX_IDLE_WORKERS = availableParallelism();

function takeWorker(): Worker {
  const worker = idleWorkers.pop() ?? startWorker();
  worker.ref();
  return worker;
}

function startWorker(): Worker {
  const worker = new Worker(gradientWorkerFile());
  worker.once('exit', () => {
    const at = idleWorkers.indexOf(worker);
    if (at >= 0) idleWorkers.splice(at, 1);
  });
  return worker;
}

/**
 * The wasm-simd backend's helper threads for one training. Every call blocks this thread until the workers are done
 * (spinning, then Atomics.wait): a batch takes well under a millisecond, and the backend yields to the event loop
 * between batches as usual.
 */
export class GradientWorkerPool {
  private readonly control: Int32Array;
  private numbers: Float64Array<ArrayBufferLike> = new Float64Array(0);
  private gradientSums = SharedGradientSums.create(0);
  /** Where a failing worker says why (gradient-worker-protocol.ts `recordFailure`). */
  private readonly failure: SharedArrayBuffer;
  private predictInput: Float32Array<ArrayBufferLike> = new Float32Array(0);
  private predictLogits: Float32Array<ArrayBufferLike> = new Float32Array(0);

  private constructor(
    private readonly workers: readonly Worker[],
    private readonly ports: readonly MessagePort[],
    shared: { control: SharedArrayBuffer; failure: SharedArrayBuffer },
    private readonly network: NetworkLayout,
  ) {
    this.control = new Int32Array(shared.control);
    this.failure = shared.failure;
  }

  /**
   * Assigns `count` workers (idle ones first) to the network laid out in `memory`, resolving once each has
   * instantiated its kernels over that memory.
   */
  static async start(
    count: number,
    memory: WebAssembly.Memory,
    network: NetworkLayout,
    classWeights: Float32Array | null,
  ): Promise<GradientWorkerPool> {
    const shared = {
      control: new SharedArrayBuffer(4 * (CONTROL.FIRST_ASSIGNMENT + 2 * count)),
      failure: new SharedArrayBuffer(FAILURE_BYTES),
    };
    const workers: Worker[] = [];
    const ports: MessagePort[] = [];
    const ready: Promise<void>[] = [];
    for (let index = 0; index < count; index++) {
      const worker = takeWorker();
      const { port1, port2 } = new MessageChannel();
      ready.push(assigned(worker));
      const assignment: GradientWorkerAssignment = { kernels: kernelModule(), memory, network, classWeights, ...shared, index, port: port2 };
      worker.postMessage(assignment, [port2]);
      workers.push(worker);
      ports.push(port1);
    }
    const outcomes = await Promise.allSettled(ready);
    const failed = outcomes.find((outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected');
    if (failed !== undefined) {
      await Promise.all(workers.map((worker) => worker.terminate()));
      throw failed.reason;
    }
    return new GradientWorkerPool(workers, ports, shared, network);
  }

  /** Tells the workers where the training rows lie in the shared memory. */
  useData(layout: DataLayout): void {
    this.broadcast({ kind: 'data', layout });
  }

  /**
   * Starts a batch: the workers begin claiming its micro-batches, and so does the caller, with `claim`, until none is
   * left; then `collect`. The parameters and the epoch order must not change until then.
   */
  dispatch(job: BatchJob): void {
    this.ensureCapacity(job.microBatches);
    const { control } = this;
    control[CONTROL.KIND] = KIND_BATCH;
    control[CONTROL.START] = job.start;
    control[CONTROL.ROWS] = job.rows;
    control[CONTROL.MICRO_BATCHES] = job.microBatches;
    control[CONTROL.HAS_RNG] = job.rngState === null ? 0 : 1;
    control[CONTROL.RNG_STATE] = job.rngState ?? 0;
    Atomics.store(control, CONTROL.NEXT_MICRO_BATCH, 0);
    this.numbers[TOTAL_WEIGHT] = job.totalWeight;
    this.gradientSums.clear();
    this.signal();
  }

  /** The next micro-batch of the dispatched batch for the caller to compute, or -1 when all are claimed. */
  claim(): number {
    const index = Atomics.add(this.control, CONTROL.NEXT_MICRO_BATCH, 1);
    return index < this.control[CONTROL.MICRO_BATCHES] ? index : -1;
  }

  /**
   * The caller has computed micro-batch `index`'s gradient at `pointer`: adds up the tree as far as the caller is the
   * second to arrive (gradient-worker-protocol.ts SharedGradientSums).
   */
  deliver(index: number, pointer: number, addInto: (target: number, source: number) => void): void {
    this.gradientSums.deliver(index, this.control[CONTROL.MICRO_BATCHES], pointer, addInto);
  }

  /**
   * Waits for the workers, fills in the results of the micro-batches they computed (those `results` lacks), and returns
   * where the batch's gradient lies: the tree's root, added by whichever thread arrived last. It stays there until the
   * next dispatch.
   */
  collect(job: BatchJob, results: MicroBatchResult[]): number {
    this.wait();
    for (let j = 0; j < job.microBatches; j++) {
      if (results[j] !== undefined) continue;
      const at = RESULT_BASE + 3 * j;
      results[j] = { loss: this.numbers[at], weightSum: this.numbers[at + 1], correct: this.numbers[at + 2] };
    }
    return this.gradientSums.total();
  }

  /**
   * Starts the logits of the first inference chunks of `x` (cut as predict.ts cuts them, so every row's logits are the
   * same bits whoever computes them) on the workers, at most one share each; returns the first row left to the caller,
   * who then calls `collectPredict`, also when its own part fails.
   */
  dispatchPredict(x: Float32Array, rows: number): number {
    const chunks = Math.ceil(rows / PREDICT_CHUNK_ROWS);
    const share = Math.ceil(chunks / (this.workers.length + 1));
    const delegated = Math.min(chunks - 1, share * this.workers.length);
    const delegatedRows = delegated * PREDICT_CHUNK_ROWS;
    if (delegated <= 0) return 0;
    const { inputs, outputs } = this.network.spec;
    if (this.predictInput.length < delegatedRows * inputs || this.predictLogits.length < delegatedRows * outputs) {
      const input = new SharedArrayBuffer(4 * delegatedRows * inputs);
      const logits = new SharedArrayBuffer(4 * delegatedRows * outputs);
      this.broadcast({ kind: 'predict-buffers', input, logits });
      this.predictInput = new Float32Array(input);
      this.predictLogits = new Float32Array(logits);
    }
    this.predictInput.set(x.subarray(0, delegatedRows * inputs));
    const { control } = this;
    control[CONTROL.KIND] = KIND_PREDICT;
    control[CONTROL.ROWS] = rows;
    this.workers.forEach((_, w) => {
      control[CONTROL.FIRST_ASSIGNMENT + 2 * w] = Math.min(delegated, w * share);
      control[CONTROL.FIRST_ASSIGNMENT + 2 * w + 1] = Math.min(delegated, (w + 1) * share);
    });
    this.signal();
    return delegatedRows;
  }

  /** Waits for the chunks `dispatchPredict` handed out and copies their logits (rows [0, `rows`)) into `out`. */
  collectPredict(out: Float32Array, rows: number): void {
    this.wait();
    out.set(this.predictLogits.subarray(0, rows * this.network.spec.outputs));
  }

  /**
   * Releases the workers to the idle list, or ends them if one has failed (a failed worker's state is not trusted).
   */
  async dispose(): Promise<void> {
    let reusable = recordedFailure(this.control, this.failure) === null;
    if (reusable) {
      try {
        this.broadcast({ kind: 'release' });
      } catch {
        reusable = false;
      }
    }
    for (const port of this.ports) port.close();
    if (!reusable) {
      await Promise.all(this.workers.map((worker) => worker.terminate()));
      return;
    }
    for (const worker of this.workers) {
      if (idleWorkers.length >= MAX_IDLE_WORKERS) {
        await worker.terminate();
        continue;
      }
      worker.unref();
      idleWorkers.push(worker);
    }
  }

  /** Grows the shared gradient-sum and result buffers for `micro` micro-batches (once per batch size). */
  private ensureCapacity(micro: number): void {
    if (this.gradientSums.capacity < micro) {
      const sums = SharedGradientSums.create(micro);
      this.broadcast({ kind: 'gradient-sums', buffer: sums.buffer, capacity: micro });
      this.gradientSums = sums;
    }
    if (this.numbers.length < RESULT_BASE + 3 * micro) {
      const numbers = new SharedArrayBuffer(8 * (RESULT_BASE + 3 * micro));
      this.broadcast({ kind: 'numbers', buffer: numbers });
      this.numbers = new Float64Array(numbers);
    }
  }

  private broadcast(message: GradientWorkerMessage): void {
    for (const port of this.ports) port.postMessage(message);
    this.control[CONTROL.KIND] = KIND_MESSAGE;
    this.signal();
    this.wait();
  }

  private signal(): void {
    Atomics.store(this.control, CONTROL.DONE, 0);
    Atomics.add(this.control, CONTROL.GENERATION, 1);
    wakeSleepers(this.control, CONTROL.GENERATION, CONTROL.WORKERS_ASLEEP);
  }

  private wait(): void {
    const expected = this.workers.length;
    waitUntil(this.control, CONTROL.DONE, CONTROL.BACKEND_ASLEEP, (done) => done >= expected);
    const failure = recordedFailure(this.control, this.failure);
    if (failure !== null) {
      throw new KtrdrError('TRAINING_FAILED', `A wasm-simd gradient worker failed: ${failure}`);
    }
  }
}

/** Resolves when the worker has taken its assignment; rejects with its error if it could not. */
function assigned(worker: Worker): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const settle = (message: unknown): void => {
      worker.off('error', fail);
      if (message === 'ready') resolve();
      else reject(new KtrdrError('BACKEND_UNAVAILABLE', `A wasm-simd gradient worker could not start: ${String(message)}`));
    };
    const fail = (error: Error): void => {
      worker.off('message', settle);
      reject(error);
    };
    worker.once('message', settle);
    worker.once('error', fail);
  });
}

/**
 * The compiled worker entry: worker threads need JavaScript. From dist/ it sits next to this module; from the
 * TypeScript sources (vitest) it is the build output under the project root, which `npm test` builds first.
 */
function gradientWorkerFile(): URL {
  const here = fileURLToPath(import.meta.url);
  const file = here.endsWith('.ts')
    ? join(projectRoot(), 'dist', 'src', 'nn', 'wasm', 'gradient-worker.js')
    : fileURLToPath(new URL('./gradient-worker.js', import.meta.url));
  if (!existsSync(file)) {
    throw new KtrdrError('BACKEND_UNAVAILABLE', `The compiled wasm-simd gradient worker is missing: ${file}`, { hint: 'Run `npm run build`.' });
  }
  return pathToFileURL(file);
}
