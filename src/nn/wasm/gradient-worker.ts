import { parentPort, receiveMessageOnPort } from 'node:worker_threads';
import { PREDICT_CHUNK_ROWS } from '../predict.js';
import { adoptKernels } from './kernel-module.js';
import { GradientEngine, type BatchPosition, type MicroBatchResult } from './gradient-engine.js';
import {
  CONTROL,
  KIND_MESSAGE,
  KIND_PREDICT,
  RESULT_BASE,
  TOTAL_WEIGHT,
  type GradientWorkerAssignment,
  type GradientWorkerMessage,
  recordFailure,
  SharedGradientSums,
  waitUntil,
  wakeSleepers,
} from './gradient-worker-protocol.js';

/**
 * A wasm-simd gradient worker: for one training at a time (an assignment from a GradientWorkerPool), its own wasm
 * instance over the training's shared memory, computing the micro-batches it claims and adding their gradients up the
 * tree as far as it can (reduction-tree.ts). During a training it spins, then sleeps in Atomics.wait,
 * between commands; once released it keeps nothing and waits for the next assignment, so the next training skips the
 * thread start.
 */
class AssignedWorker {
  private readonly control: Int32Array;
  private readonly engine: GradientEngine;
  private readonly results: MicroBatchResult[] = [];
  private numbers: Float64Array<ArrayBufferLike> = new Float64Array(0);
  private gradientSums = SharedGradientSums.create(0);
  private predictInput: Float32Array<ArrayBufferLike> = new Float32Array(0);
  private predictLogits: Float32Array<ArrayBufferLike> = new Float32Array(0);

  constructor(private readonly assignment: GradientWorkerAssignment) {
    this.control = new Int32Array(assignment.control);
    adoptKernels(assignment.kernels);
    this.engine = new GradientEngine(assignment.memory, assignment.network, assignment.classWeights);
  }

  /** Serves commands until released. */
  serve(): void {
    const { control } = this;
    let seen = 0;
    for (let running = true; running;) {
      const previous = seen;
      seen = waitUntil(control, CONTROL.GENERATION, CONTROL.WORKERS_ASLEEP, (generation) => generation !== previous);
      try {
        const kind = control[CONTROL.KIND];
        if (kind === KIND_MESSAGE) running = this.handle(receiveMessageOnPort(this.assignment.port)!.message as GradientWorkerMessage);
        else if (kind === KIND_PREDICT) this.runPredict();
        else this.runBatch();
      } catch (error) {
        recordFailure(control, this.assignment.failure, error);
      }
      Atomics.add(control, CONTROL.DONE, 1);
      wakeSleepers(control, CONTROL.DONE, CONTROL.BACKEND_ASLEEP);
    }
    this.assignment.port.close();
  }

  private handle(message: GradientWorkerMessage): boolean {
    switch (message.kind) {
      case 'data':
        this.engine.useData(message.layout);
        return true;
      case 'gradient-sums':
        this.gradientSums = new SharedGradientSums(message.buffer, message.capacity);
        return true;
      case 'numbers':
        this.numbers = new Float64Array(message.buffer);
        return true;
      case 'predict-buffers':
        this.predictInput = new Float32Array(message.input);
        this.predictLogits = new Float32Array(message.logits);
        return true;
      case 'release':
        return false;
    }
  }

  private runPredict(): void {
    const { control, engine } = this;
    const from = control[CONTROL.FIRST_ASSIGNMENT + 2 * this.assignment.index];
    const to = control[CONTROL.FIRST_ASSIGNMENT + 2 * this.assignment.index + 1];
    if (from >= to) return;
    const { inputs, outputs } = engine.spec;
    const rows = control[CONTROL.ROWS];
    for (let chunk = from; chunk < to; chunk++) {
      const start = chunk * PREDICT_CHUNK_ROWS;
      const end = Math.min(rows, start + PREDICT_CHUNK_ROWS);
      engine.predictChunk(this.predictInput.subarray(start * inputs, end * inputs), end - start, this.predictLogits, start * outputs);
    }
  }

  private runBatch(): void {
    const { control, engine, numbers, results } = this;
    const microBatches = control[CONTROL.MICRO_BATCHES];
    let index = Atomics.add(control, CONTROL.NEXT_MICRO_BATCH, 1);
    if (index >= microBatches) return;
    const batch: BatchPosition = {
      start: control[CONTROL.START],
      rows: control[CONTROL.ROWS],
      rngState: control[CONTROL.HAS_RNG] === 1 ? control[CONTROL.RNG_STATE] >>> 0 : null,
      totalWeight: numbers[TOTAL_WEIGHT],
    };
    for (let slot = 0; index < microBatches; index = Atomics.add(control, CONTROL.NEXT_MICRO_BATCH, 1), slot++) {
      this.gradientSums.deliver(index, microBatches, engine.computeBlock(batch, index, 1, slot, results), engine.addGradients);
      const at = RESULT_BASE + 3 * index;
      numbers[at] = results[index].loss;
      numbers[at + 1] = results[index].weightSum;
      numbers[at + 2] = results[index].correct;
    }
  }
}

parentPort!.on('message', (assignment: GradientWorkerAssignment) => {
  try {
    const worker = new AssignedWorker(assignment);
    parentPort!.postMessage('ready');
    worker.serve();
  } catch (error) {
    parentPort!.postMessage(String(error));
  }
});
