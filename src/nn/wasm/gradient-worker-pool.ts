import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import { KtrdrError } from '../../errors.js';
import { projectRoot } from '../../util/package-info.js';
import { parameterCount, type MlpSpec } from '../spec.js';
import type { MicroBatchResult } from './gradient-engine.js';
import {
  CONTROL,
  KIND_BATCH,
  KIND_MESSAGE,
  RESULT_BASE,
  TOTAL_WEIGHT,
  type GradientWorkerData,
  type GradientWorkerMessage,
} from './gradient-worker-protocol.js';

/** The micro-batches of one batch, as the backend hands them out. */
export interface BatchJob {
  readonly start: number;
  readonly rows: number;
  /** Number of micro-batches. */
  readonly count: number;
  readonly rngState: number | null;
  readonly totalWeight: number;
}

/**
 * The wasm-simd backend's helper threads. Every call blocks this thread until the workers are done (Atomics.wait):
 * a batch takes well under a millisecond, and the backend yields to the event loop between batches as usual.
 */
export class GradientWorkerPool {
  private readonly control: Int32Array;
  private numbers: Float64Array<ArrayBufferLike>;
  private readonly params: Float32Array;
  private gradients: Float32Array<ArrayBufferLike> = new Float32Array(0);
  private failure: string | null = null;

  private constructor(
    private readonly workers: readonly Worker[],
    private readonly ports: readonly MessagePort[],
    shared: { control: SharedArrayBuffer; params: SharedArrayBuffer },
    private readonly size: number,
  ) {
    this.control = new Int32Array(shared.control);
    this.numbers = new Float64Array(0);
    this.params = new Float32Array(shared.params);
    for (const worker of workers) worker.on('message', (message: unknown) => message !== 'ready' && (this.failure = String(message)));
  }

  /** Starts `count` workers for this network, resolving once each has compiled its kernels. */
  static async start(count: number, spec: MlpSpec, classWeights: Float32Array | null): Promise<GradientWorkerPool> {
    const size = parameterCount(spec);
    const shared = {
      control: new SharedArrayBuffer(4 * (CONTROL.FIRST_ASSIGNMENT + 2 * count)),
      params: new SharedArrayBuffer(4 * size),
    };
    const workers: Worker[] = [];
    const ports: MessagePort[] = [];
    for (let index = 0; index < count; index++) {
      const { port1, port2 } = new MessageChannel();
      const data: GradientWorkerData & { port: MessagePort } = { spec, classWeights, ...shared, index, port: port2 };
      workers.push(new Worker(gradientWorkerFile(), { workerData: data, transferList: [port2] }));
      ports.push(port1);
    }
    await Promise.all(
      workers.map(
        (worker) =>
          new Promise<void>((resolve, reject) => {
            worker.once('message', () => resolve());
            worker.once('error', reject);
          }),
      ),
    );
    return new GradientWorkerPool(workers, ports, shared, size);
  }

  setData(x: Float32Array, y: Int32Array, rows: number): void {
    this.broadcast({ kind: 'data', x, y, rows });
  }

  setOrder(order: Int32Array): void {
    this.broadcast({ kind: 'order', order });
  }

  /**
   * Hands the first micro-batches of `job` to the workers (at most one share each, a share being what every thread,
   * this one included, would take) and returns how many it handed out; the rest are the caller's. `params` is
   * copied, so the caller may compute its share while the workers run.
   */
  dispatch(params: Float32Array, job: BatchJob): number {
    const threads = this.workers.length + 1;
    const share = Math.ceil(job.count / threads);
    const delegated = Math.min(job.count - 1, share * this.workers.length);
    this.ensureCapacity(job.count);
    this.params.set(params);
    const { control } = this;
    control[CONTROL.KIND] = KIND_BATCH;
    control[CONTROL.START] = job.start;
    control[CONTROL.ROWS] = job.rows;
    control[CONTROL.HAS_RNG] = job.rngState === null ? 0 : 1;
    control[CONTROL.RNG_STATE] = job.rngState ?? 0;
    this.numbers[TOTAL_WEIGHT] = job.totalWeight;
    this.workers.forEach((_, w) => {
      control[CONTROL.FIRST_ASSIGNMENT + 2 * w] = Math.min(delegated, w * share);
      control[CONTROL.FIRST_ASSIGNMENT + 2 * w + 1] = Math.min(delegated, (w + 1) * share);
    });
    this.signal();
    return delegated;
  }

  /** Waits for the dispatched micro-batches and passes each one's gradient (a view, valid during the call) and result. */
  collect(receive: (micro: number, gradient: Float32Array, result: MicroBatchResult) => void): void {
    this.wait();
    const delegated = this.control[CONTROL.FIRST_ASSIGNMENT + 2 * (this.workers.length - 1) + 1];
    for (let j = 0; j < delegated; j++) {
      const at = RESULT_BASE + 3 * j;
      receive(j, this.gradients.subarray(j * this.size, (j + 1) * this.size), {
        loss: this.numbers[at],
        weightSum: this.numbers[at + 1],
        correct: this.numbers[at + 2],
      });
    }
  }

  async dispose(): Promise<void> {
    await Promise.all(this.workers.map((worker) => worker.terminate()));
  }

  /** Grows the shared gradient and result buffers for `micro` micro-batches (once per batch size). */
  private ensureCapacity(micro: number): void {
    if (this.gradients.length >= micro * this.size) return;
    const buffer = new SharedArrayBuffer(4 * micro * this.size);
    this.gradients = new Float32Array(buffer);
    this.broadcast({ kind: 'gradients', buffer });
    const numbers = new SharedArrayBuffer(8 * (RESULT_BASE + 3 * micro));
    this.broadcast({ kind: 'numbers', buffer: numbers });
    this.numbers = new Float64Array(numbers);
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
    Atomics.notify(this.control, CONTROL.GENERATION);
  }

  private wait(): void {
    const expected = this.workers.length;
    for (let done = Atomics.load(this.control, CONTROL.DONE); done < expected; done = Atomics.load(this.control, CONTROL.DONE)) {
      Atomics.wait(this.control, CONTROL.DONE, done);
    }
    if (Atomics.load(this.control, CONTROL.FAILED) === 1) {
      throw new KtrdrError('TRAINING_FAILED', `A wasm-simd gradient worker failed${this.failure === null ? '' : `: ${this.failure}`}`);
    }
  }
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
