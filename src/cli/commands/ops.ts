import type { Command } from 'commander';
import { BackendClient, resolveServerUrl } from '../../api/client/backend-client.js';
import type { OperationResponse } from '../../contracts/operations.js';
import { SERVER_HELP, TOKEN_HELP, integerOption, table } from '../format.js';
import { withJsonErrors } from '../json-errors.js';
import { chooseDisplayMode } from '../progress-display.js';
import { EXIT_COMPLETED, EXIT_FAILED, followRemoteTraining, whereText } from './remote-train.js';

interface ServerOption {
  server?: string;
  json?: boolean;
}

/** `ktrdr ops list|show|follow|cancel|resume|save`: operations on a running `ktrdr serve`. */
export function registerOpsCommand(program: Command): void {
  const ops = program.command('ops').description('Operations (training runs) on a ktrdr server');

  ops
    .command('list')
    .description('List operations, newest first')
    .option('--status <list>', 'only these statuses, comma-separated (pending,running,cancelling,completed,failed,cancelled)')
    .option('--strategy <name>', 'only this strategy')
    .option('--limit <n>', 'at most this many (1..500)', '20')
    .option('--server <url>', SERVER_HELP)
    .option('--token <token>', TOKEN_HELP)
    .option('--json', 'print the page as JSON', false)
    .action((options: ServerOption & { status?: string; strategy?: string; limit: string }) =>
      withJsonErrors(options.json, async () => {
        const client = new BackendClient(resolveServerUrl(options.server));
        const page = await client.listOperations({
          status: options.status,
          strategy: options.strategy,
          limit: integerOption('--limit', options.limit, 1, 500),
        });
        if (options.json) {
          process.stdout.write(`${JSON.stringify(page)}\n`);
          return;
        }
        if (page.data.length === 0) {
          process.stdout.write('no operations\n');
          return;
        }
        const rows = page.data.map((op) => [
          op.operation_id,
          op.strategy,
          op.status,
          progressCell(op),
          op.created_at.replace('T', ' ').slice(0, 19),
          executionCell(op),
          op.parent_id ?? '-',
        ]);
        process.stdout.write(table(['ID', 'STRATEGY', 'STATUS', 'PROGRESS', 'CREATED (UTC)', 'EXECUTION', 'PARENT'], rows));
        if (page.total > page.data.length) process.stdout.write(`(${page.data.length} of ${page.total}; use --limit or filters for more)\n`);
      }),
    );

  ops
    .command('show')
    .description('Show one operation: status, progress, execution, result or error')
    .argument('<id>', 'operation id')
    .option('--server <url>', SERVER_HELP)
    .option('--token <token>', TOKEN_HELP)
    .option('--json', 'print the operation as JSON', false)
    .action((id: string, options: ServerOption) =>
      withJsonErrors(options.json, async () => {
        const operation = await new BackendClient(resolveServerUrl(options.server)).getOperation(id);
        process.stdout.write(options.json ? `${JSON.stringify(operation)}\n` : describe(operation));
      }),
    );

  ops
    .command('follow')
    .description('Follow an operation live until it ends (Ctrl+C detaches; the run goes on)')
    .argument('<id>', 'operation id')
    .option('--server <url>', SERVER_HELP)
    .option('--token <token>', TOKEN_HELP)
    .option('--json', 'print every event as a JSON line', false)
    .action((id: string, options: ServerOption) =>
      withJsonErrors(options.json, async () => {
        process.exitCode = await followRemoteTraining(resolveServerUrl(options.server), id, {
          mode: chooseDisplayMode(options),
          cancelOnInterrupt: false,
        });
      }),
    );

  ops
    .command('cancel')
    .description('Cancel an operation and wait until the run has stopped')
    .argument('<id>', 'operation id')
    .option('--reason <text>', 'recorded with the cancellation')
    .option('--no-wait', 'return once the server accepted the request')
    .option('--server <url>', SERVER_HELP)
    .option('--token <token>', TOKEN_HELP)
    .option('--json', 'print the result as JSON', false)
    .action((id: string, options: ServerOption & { reason?: string; wait: boolean }) =>
      withJsonErrors(options.json, async () => {
        const client = new BackendClient(resolveServerUrl(options.server));
        const accepted = await client.cancelOperation(id, options.reason);
        let status = accepted.status;
        if (options.wait && status === 'cancelling') {
          // The stream ends at the terminal status; its last status event says how the run ended.
          for await (const event of client.events(id)) if (event.kind === 'status') status = (event.data as { to: typeof status }).to;
        }
        if (options.json) process.stdout.write(`${JSON.stringify({ operation_id: id, status })}\n`);
        else if (status === 'cancelling') process.stdout.write(`Cancelling operation ${id}; it stops at its next batch\n`);
        else if (status === 'cancelled') process.stdout.write(`Cancelled operation ${id}\n`);
        else process.stdout.write(`Operation ${id} ended ${status} before the cancel took effect\n`);
        process.exitCode = status === 'cancelled' || status === 'cancelling' ? EXIT_COMPLETED : EXIT_FAILED;
      }),
    );

  ops
    .command('resume')
    .description('Resume a failed or cancelled training from its newest checkpoint, as the same operation')
    .argument('<id>', 'operation id')
    .option('--server <url>', SERVER_HELP)
    .option('--token <token>', TOKEN_HELP)
    .option('--json', 'print the operation as JSON', false)
    .action((id: string, options: ServerOption) =>
      withJsonErrors(options.json, async () => {
        const operation = await new BackendClient(resolveServerUrl(options.server)).resumeOperation(id);
        if (options.json) process.stdout.write(`${JSON.stringify(operation)}\n`);
        else
          process.stdout.write(`Resumed operation ${id} (${operation.execution.reason ?? 'running'}); follow it with \`ktrdr ops follow ${id}\`\n`);
      }),
    );

  ops
    .command('save')
    .description('Save the model of a run whose save failed (disk full, read-only models directory) now that it can be')
    .argument('<id>', 'operation id')
    .option('--server <url>', SERVER_HELP)
    .option('--token <token>', TOKEN_HELP)
    .option('--json', 'print the operation as JSON', false)
    .action((id: string, options: ServerOption) =>
      withJsonErrors(options.json, async () => {
        const operation = await new BackendClient(resolveServerUrl(options.server)).saveKeptModel(id);
        if (options.json) process.stdout.write(`${JSON.stringify(operation)}\n`);
        else
          process.stdout.write(
            `Saved ${operation.result?.model_strategy ?? operation.strategy} v${operation.result?.model_version ?? '-'} for operation ${id}\n`,
          );
      }),
    );
}

function progressCell(op: OperationResponse): string {
  if (!op.progress) return '-';
  const epoch =
    op.progress.epoch !== undefined && op.progress.total_epochs !== undefined ? ` epoch ${op.progress.epoch}/${op.progress.total_epochs}` : '';
  return `${op.progress.percent.toFixed(1)}%${epoch}`;
}

function executionCell(op: OperationResponse): string {
  if (op.execution.selected === 'host') return `host ${op.execution.host ?? '?'}`;
  return op.execution.selected ?? `${op.execution.requested} (not chosen yet)`;
}

function describe(op: OperationResponse): string {
  const lines = [`Operation  ${op.operation_id}`, `Strategy   ${op.strategy}`, `Status     ${op.status}`, `Created    ${op.created_at}`];
  if (op.started_at) lines.push(`Started    ${op.started_at}`);
  if (op.finished_at) lines.push(`Finished   ${op.finished_at}`);
  if (op.duration_seconds !== null) lines.push(`Duration   ${op.duration_seconds} s`);
  if (op.progress) lines.push(`Progress   ${progressCell(op)} · ${op.progress.message}`);
  lines.push(`Execution  ${whereText(op.execution)}, requested ${op.execution.requested}`);
  if (op.execution.reason) lines.push(`           ${op.execution.reason}`);
  if (op.error) lines.push(`Error      [${op.error.code}] ${op.error.message}`);
  if (op.result) {
    const test = (op.result.test_metrics ?? {}) as Record<string, unknown>;
    const accuracy = typeof test.accuracy === 'number' ? test.accuracy.toFixed(4) : '-';
    const recovered =
      op.result.recovered !== true
        ? ''
        : op.error?.code === 'HOST_LOST'
          ? ', recovered after the host was lost'
          : `, saved after [${op.error?.code ?? '?'}]`;
    lines.push(`Model      ${op.result.model_strategy ?? op.strategy} v${op.result.model_version ?? '-'} (test accuracy ${accuracy}${recovered})`);
  }
  return `${lines.join('\n')}\n`;
}
