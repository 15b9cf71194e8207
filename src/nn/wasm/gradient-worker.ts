import { parentPort, receiveMessageOnPort, workerData, type MessagePort } from 'node:worker_threads';
import { MICRO_BATCH_ROWS, GradientEngine } from './gradient-engine.js';
import { CONTROL, KIND_MESSAGE, RESULT_BASE, TOTAL_WEIGHT, type GradientWorkerData, type GradientWorkerMessage } from './gradient-worker-protocol.js';

/**
 * A wasm-simd gradient worker: its own wasm instance and copy of the data, computing the micro-batches the backend
 * assigns it into shared memory. It blocks in Atomics.wait between commands; it has nothing else to do.
 */
const data = workerData as GradientWorkerData & { port: MessagePort };
const control = new Int32Array(data.control);
let numbers: Float64Array<ArrayBufferLike> = new Float64Array(0);
const params = new Float32Array(data.params);
const engine = new GradientEngine(data.spec, data.classWeights);
const local = engine.arena.allocate(engine.size);
let gradients: Float32Array<ArrayBufferLike> = new Float32Array(0);

function handle(message: GradientWorkerMessage): boolean {
  switch (message.kind) {
    case 'data':
      engine.setData(message.x, message.y, message.rows);
      return true;
    case 'order':
      engine.setOrder(message.order);
      return true;
    case 'gradients':
      gradients = new Float32Array(message.buffer);
      return true;
    case 'numbers':
      numbers = new Float64Array(message.buffer);
      return true;
    case 'exit':
      return false;
  }
}

function runBatch(): void {
  const from = control[CONTROL.FIRST_ASSIGNMENT + 2 * data.index];
  const to = control[CONTROL.FIRST_ASSIGNMENT + 2 * data.index + 1];
  if (from >= to) return;
  engine.loadParams(params);
  const start = control[CONTROL.START];
  const rows = control[CONTROL.ROWS];
  const rngState = control[CONTROL.HAS_RNG] === 1 ? control[CONTROL.RNG_STATE] >>> 0 : null;
  const view = engine.arena.f32(local, engine.size);
  for (let j = from; j < to; j++) {
    const offset = j * MICRO_BATCH_ROWS;
    const result = engine.computeMicroBatch(start, rows, offset, Math.min(MICRO_BATCH_ROWS, rows - offset), rngState, numbers[TOTAL_WEIGHT], local);
    gradients.set(view, j * engine.size);
    numbers.set([result.loss, result.weightSum, result.correct], RESULT_BASE + 3 * j);
  }
}

let seen = 0;
parentPort!.postMessage('ready');
for (;;) {
  Atomics.wait(control, CONTROL.GENERATION, seen);
  seen = Atomics.load(control, CONTROL.GENERATION);
  let running = true;
  try {
    if (control[CONTROL.KIND] === KIND_MESSAGE) running = handle(receiveMessageOnPort(data.port)!.message as GradientWorkerMessage);
    else runBatch();
  } catch (error) {
    Atomics.store(control, CONTROL.FAILED, 1);
    parentPort!.postMessage(String(error));
  }
  Atomics.add(control, CONTROL.DONE, 1);
  Atomics.notify(control, CONTROL.DONE);
  if (!running) break;
}
