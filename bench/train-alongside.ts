import { parentPort } from 'node:worker_threads';
import { benchData, trainOnce } from './train-setup.js';

/**
 * bench:train's helper thread for the `:2x` variant: a second single-thread training at the same time as the
 * benchmark's own, on its own data, so that the pair shows what two cores give two independent runs on this machine —
 * the ceiling for one run on two threads.
 */
const data = benchData();
parentPort!.on('message', ({ backend, batchSize, seed }: { backend: string; batchSize: number; seed: number }) => {
  void trainOnce(data, backend, 1, batchSize, seed).then(() => parentPort!.postMessage('done'));
});
parentPort!.postMessage('ready');
