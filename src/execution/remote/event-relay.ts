import type { HostEvent } from '../../contracts/host-protocol.js';
import type { EpochRecord } from '../../nn/index.js';
import type { TrainingProgress } from '../../training/progress.js';
import type { LogRecord } from '../../util/logger.js';
import { notify, type RunObserver } from '../executor.js';

/**
 * Hands a host's events to the observer in their order, as a local run would have reported them: consecutive log
 * lines and epoch records travel as one batch (as the local worker batches them), progress and the start one by one.
 * The host runs the same pipeline, so the records are relayed unchanged: the same step lines, the same metrics.
 * Returns whether the run's `started` event was among them.
 */
export function relayHostEvents(events: readonly HostEvent[], observer: RunObserver): { started: boolean } {
  let started = false;
  let logs: LogRecord[] = [];
  let epochs: EpochRecord[] = [];
  const flushLogs = (): void => {
    if (logs.length > 0) notify(() => observer.onLogs?.(logs));
    logs = [];
  };
  const flushEpochs = (): void => {
    if (epochs.length > 0) notify(() => observer.onEpochs?.(epochs));
    epochs = [];
  };
  for (const event of events) {
    if (event.kind !== 'log') flushLogs();
    if (event.kind !== 'metric') flushEpochs();
    switch (event.kind) {
      case 'started': {
        started = true;
        const device = typeof event.data.device === 'string' ? event.data.device : 'unknown';
        notify(() => observer.onStart?.({ device }));
        break;
      }
      case 'progress':
        notify(() => observer.onProgress?.(event.data as unknown as TrainingProgress));
        break;
      case 'log':
        logs.push(event.data as unknown as LogRecord);
        break;
      case 'metric':
        epochs.push(event.data as unknown as EpochRecord);
        break;
      default: {
        const unknown: never = event.kind;
        throw new Error(`unknown host event kind ${String(unknown)}`);
      }
    }
  }
  flushLogs();
  flushEpochs();
  return { started };
}
