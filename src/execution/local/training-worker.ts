/**
 * Entry point of a training worker thread: runs the one pipeline on the job in `workerData` and reports through
 * `postMessage`. Loaded as compiled JS (see `worker-file.ts`); one worker per run, so a crash or a leak ends with it.
 */
import { parentPort, workerData, type TransferListItem } from 'node:worker_threads';
import { CheckpointStore } from '../../checkpoints/checkpoint-store.js';
import { pushingCheckpointSink, type PushingCheckpointSink } from '../../checkpoints/checkpoint-push.js';
import { storeCheckpointSink } from '../../checkpoints/store-sink.js';
import { MarketDataRepository } from '../../data/repository.js';
import { isKtrdrError } from '../../errors.js';
import { toOperationError } from '../../operations/operation.js';
import { runTraining } from '../../training/pipeline.js';
import { createRecordingLogger } from '../../util/logger.js';
import { ReportBuffer } from './report-buffer.js';
import { lowerThreadPriority } from './thread-priority.js';
import { isCancelFlagRaised, type WorkerInput, type WorkerMessage } from './worker-protocol.js';

const port = parentPort;
if (port === null) throw new Error('training-worker.js must be started as a worker thread');

const input = workerData as WorkerInput;
const cancelFlag = new Int32Array(input.cancelFlag);
const controller = new AbortController();
lowerThreadPriority(input.nice);
const reports = new ReportBuffer((batch) => post({ type: 'reports', reports: batch }));
// Sends held reports while the event loop is idle (awaiting a file); during training `tick` does it.
const idleFlush = setInterval(() => reports.flushIfDue(), 50);

function post(message: WorkerMessage, transfer: TransferListItem[] = []): void {
  port!.postMessage(message, transfer);
}

/** A weights array that owns its whole buffer, so transferring the buffer moves exactly the weights. */
function ownedCopy(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  const { buffer } = bytes;
  if (buffer instanceof ArrayBuffer && bytes.byteOffset === 0 && bytes.byteLength === buffer.byteLength) return new Uint8Array(buffer);
  return new Uint8Array(bytes);
}

/** A training host's runs: each checkpoint also goes to the backend, in the background. */
let pushing: PushingCheckpointSink | undefined;
try {
  const { job } = input;
  const logger = createRecordingLogger((record) => reports.log(record), input.logLevel);
  const stored =
    input.checkpointDir === undefined ? undefined : storeCheckpointSink(new CheckpointStore(input.checkpointDir), job.operationId, logger);
  pushing = stored !== undefined && input.checkpointPush !== undefined ? pushingCheckpointSink(stored, input.checkpointPush, logger) : undefined;
  const checkpoint = pushing ?? stored;
  const { artifact } = await runTraining(
    { strategyYaml: job.strategyYaml, strategySource: job.strategySource },
    {
      logger,
      onProgress: (progress) => reports.progress(progress),
      onEpoch: (record) => reports.epoch(record),
      signal: controller.signal,
      data: new MarketDataRepository(input.dataDir),
      execution: { mode: input.execution.mode, device: input.device, ...(input.execution.host !== undefined ? { host: input.execution.host } : {}) },
      operationId: job.operationId,
      threads: input.threads,
      tick: () => {
        if (!controller.signal.aborted && isCancelFlagRaised(cancelFlag)) controller.abort(new Error('cancel requested'));
        reports.flushIfDue();
      },
      ...(checkpoint !== undefined && { checkpoint }),
    },
  );
  // Before reporting completion: once the backend records it, it removes the run's checkpoints, and no push may follow.
  await pushing?.flush();
  reports.flush();
  const weights = ownedCopy(artifact.weights);
  post({ type: 'completed', artifact: { ...artifact, weights } }, [weights.buffer]);
} catch (error) {
  reports.flush();
  if (controller.signal.aborted && isKtrdrError(error) && error.code === 'CANCELLED') post({ type: 'cancelled' });
  else post({ type: 'failed', error: toOperationError(error) });
  // After reporting: a cancel is not held up by the network. The state saved on the way out still reaches the
  // backend unless the thread is terminated first (then the backend resumes from the push before it).
  await pushing?.flush();
}

clearInterval(idleFlush);
