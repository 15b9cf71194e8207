import { TestPeriodSchema } from '../../contracts/models.js';
import { testPeriodLine } from '../../training/test-backtest.js';
import { BackendClient } from '../../api/client/backend-client.js';
import type { OperationEventWire, OperationResponse } from '../../contracts/operations.js';
import type { StartTrainingRequestInput, StartTrainingResponse } from '../../contracts/trainings.js';
import { dashboardLink } from '../dashboard-link.js';
import { errorRecord } from '../json-errors.js';
import { createProgressDisplay, type DisplayMode, type Output, type RunEvent } from '../progress-display.js';

/** Exit codes of a followed run: completed, failed, cancelled (as a shell reports SIGINT), detached by Ctrl+C. */
export const EXIT_COMPLETED = 0;
export const EXIT_FAILED = 1;
export const EXIT_CANCELLED = 130;

export interface FollowOptions {
  /** @defaultValue chosen from stderr (bar on a terminal, lines otherwise) */
  readonly mode?: DisplayMode;
  /** Where results go. @defaultValue process.stdout */
  readonly out?: Output;
  /** Where the progress display goes. @defaultValue stdout in JSON mode, else stderr */
  readonly progressOut?: Output;
  /**
   * Ctrl+C cancels the run on the server (what `train --server` wants: the user started it and wants it stopped).
   * Otherwise Ctrl+C only detaches and the run goes on (`ops follow`).
   */
  readonly cancelOnInterrupt?: boolean;
  /** Resume after this event seq. */
  readonly after?: number;
}

/** `POST /trainings/start`; prints nothing. */
export async function startRemoteTraining(server: string, request: StartTrainingRequestInput): Promise<StartTrainingResponse> {
  return new BackendClient(server).startTraining(request);
}

/**
 * Follows an operation on the server with the same display as a local run, fed by its SSE stream, then prints the
 * outcome. Returns the exit code: 0 completed, 1 failed, 130 cancelled or detached.
 */
export async function followRemoteTraining(server: string, operationId: string, options: FollowOptions = {}): Promise<number> {
  const client = new BackendClient(server);
  const out = options.out ?? process.stdout;
  const display = createProgressDisplay({ mode: options.mode, err: options.progressOut, out: options.progressOut });
  const controller = new AbortController();
  let interrupts = 0;
  let detached = false;
  const onInterrupt = (): void => {
    interrupts += 1;
    if (options.cancelOnInterrupt && interrupts === 1) {
      display.line(`Cancelling ${operationId} on the server (Ctrl+C again to stop waiting)…`);
      client.cancelOperation(operationId, 'cancelled from the CLI').catch((error: unknown) => display.line(`cancel failed: ${String(error)}`));
      return;
    }
    detached = true;
    controller.abort();
  };
  process.on('SIGINT', onInterrupt);
  try {
    for await (const event of client.events(operationId, { after: options.after, signal: controller.signal })) {
      display.handle(toDisplayEvent(event), { seq: event.seq, time: event.time, operation_id: event.operation_id });
    }
  } catch (error) {
    if (!detached) throw error;
  } finally {
    process.off('SIGINT', onInterrupt);
    display.close();
  }
  if (detached) {
    if (options.mode !== 'json') out.write(`Detached; the run goes on. Follow it again with: ktrdr ops follow ${operationId}\n`);
    return EXIT_CANCELLED;
  }
  const operation = await client.getOperation(operationId);
  if (options.mode === 'json') {
    out.write(`${JSON.stringify({ kind: 'result', data: operation })}\n`);
    // As after a local run: a run that saved no model ends with an error record, whatever the reason.
    const failure = failureOf(operation);
    if (failure) out.write(errorRecord(failure));
  } else out.write(outcomeText(operation));
  return exitCodeOf(operation);
}

export interface RemoteTrainingOptions extends FollowOptions {
  /** Print the operation id and return at once instead of following. */
  readonly detach?: boolean;
}

/** `ktrdr train <strategy> --server URL [--detach]`: starts the run on the server and (unless detached) follows it. */
export async function runRemoteTraining(server: string, request: StartTrainingRequestInput, options: RemoteTrainingOptions = {}): Promise<number> {
  const out = options.out ?? process.stdout;
  const started = await startRemoteTraining(server, request);
  if (options.mode === 'json') out.write(`${JSON.stringify({ kind: 'started', data: started })}\n`);
  else
    out.write(
      `Started training: ${started.operation_id}\nExecution: ${whereText(started.execution)}${started.execution.reason ? `; ${started.execution.reason}` : ''}\n` +
        `Dashboard: ${dashboardLink(server, started.operation_id)}\n`,
    );
  if (options.detach) {
    if (options.mode !== 'json')
      out.write(`Follow it with: ktrdr ops follow ${started.operation_id}\nCancel it with: ktrdr ops cancel ${started.operation_id}\n`);
    return EXIT_COMPLETED;
  }
  return followRemoteTraining(server, started.operation_id, { cancelOnInterrupt: true, ...options });
}

function failureOf(operation: OperationResponse): { code: string; message: string } | undefined {
  if (operation.status === 'failed') return operation.error ?? { code: 'INTERNAL', message: 'the run failed without an error record' };
  if (operation.status === 'cancelled') return { code: 'CANCELLED', message: 'training cancelled; no model was saved' };
  return undefined;
}

export function exitCodeOf(operation: Pick<OperationResponse, 'status'>): number {
  if (operation.status === 'completed') return EXIT_COMPLETED;
  if (operation.status === 'cancelled') return EXIT_CANCELLED;
  return EXIT_FAILED;
}

/** `host http://gpu-box:5002 (device cpu (…))` or `local (device cpu (…))`: where a run goes or went. */
export function whereText(execution: OperationResponse['execution']): string {
  const device = execution.device ? ` (device ${execution.device})` : '';
  if (execution.selected === 'host') return `host ${execution.host ?? '?'}${device}`;
  if (execution.selected === 'local') return `local${device}`;
  return `not chosen yet (requested ${execution.requested})`;
}

/** The final lines after a followed run, from the operation record, ending with where it ran and why. */
export function outcomeText(operation: OperationResponse): string {
  const { execution } = operation;
  return `${statusText(operation)}Ran on ${whereText(execution)}${execution.reason ? `: ${execution.reason}` : ''}\n`;
}

function statusText(operation: OperationResponse): string {
  switch (operation.status) {
    case 'completed': {
      const result = operation.result;
      const test = (result?.test_metrics ?? {}) as Record<string, unknown>;
      const num = (value: unknown) => (typeof value === 'number' ? value.toFixed(4) : '-');
      return (
        `Completed: model ${result?.model_strategy ?? operation.strategy} v${result?.model_version ?? '?'}` +
        ` (${operation.duration_seconds ?? '?'} s)\n` +
        `Test accuracy ${num(test.accuracy)} (majority-class baseline ${num(test.baseline_accuracy)}), loss ${num(test.loss)}, weighted F1 ${num(test.f1_score)}\n` +
        testPeriodText(result?.test_period)
      );
    }
    case 'failed': {
      const failure = `Failed: [${operation.error?.code ?? 'UNKNOWN'}] ${operation.error?.message ?? ''}\n`;
      const recovered = operation.result?.model_version;
      return typeof recovered === 'number'
        ? `${failure}The model was recovered afterwards: ${operation.result?.model_strategy ?? operation.strategy} v${recovered}\n`
        : failure;
    }
    case 'cancelled':
      return `Cancelled; no model was saved.\n`;
    case 'pending':
    case 'running':
    case 'cancelling':
      return `Operation ${operation.operation_id} is ${operation.status}\n`;
  }
}

/** Events from the wire are the store's own events, so the display's types describe them exactly. */
function toDisplayEvent(event: OperationEventWire): RunEvent {
  return { kind: event.kind, data: event.data } as unknown as RunEvent;
}

/** The test-period line of a completed training, when its model has one (models trained before backtests do not). */
function testPeriodText(value: unknown): string {
  const parsed = TestPeriodSchema.safeParse(value);
  return parsed.success ? `${testPeriodLine(parsed.data)}\n` : '';
}
