import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { parse as parseYaml } from 'yaml';
import { BackendClient, resolveServerUrl } from '../../api/client/backend-client.js';
import { StartSweepRequestSchema, type StartSweepRequest, type SweepResponse } from '../../contracts/sweeps.js';
import { KtrdrError } from '../../errors.js';
import { parsePart } from '../../http/parse.js';
import { parseParamArg, parseSeeds } from '../../sweeps/param-grid.js';
import { sweepParamsFromRequest, sweepView } from '../../sweeps/sweep-request.js';
import { withEmbeddedBackend } from '../embedded-backend.js';
import { followParent, parentExitCode, type ParentRunner } from '../follow-parent.js';
import { SERVER_HELP, TOKEN_HELP, formatNumber, integerOption, table } from '../format.js';
import { withJsonErrors } from '../json-errors.js';

interface SweepOptions {
  param: string[];
  seeds?: string;
  file?: string;
  search?: string;
  samples?: string;
  searchSeed?: string;
  maxParallel?: string;
  objective?: string;
  epochs?: string;
  json?: boolean;
  server?: string;
  detach?: boolean;
  mode?: string;
}

/** `ktrdr sweep <strategy>`: trains a grid (or a random sample) of configurations × seeds and ranks them. */
export function registerSweepCommand(program: Command): void {
  program
    .command('sweep')
    .description('Train a grid of strategy values × seeds as child trainings and rank the configurations on the validation split')
    .argument('<strategy>', 'strategy name in the strategies directory')
    .option('--param <path=values>', 'a strategy path and its values, e.g. training.learning_rate=0.001,0.01 (repeatable)', collect, [])
    .option('--seeds <list>', "seeds per configuration, e.g. 1-5 or 1,4,9 (default: the strategy's seed)")
    .option('--file <sweep.yaml>', 'a sweep file: params, seeds, search, samples, search_seed, objective, max_parallel, epochs')
    .option('--search <kind>', 'grid (every combination) or random (--samples of them)')
    .option('--samples <n>', 'configurations drawn by a random search')
    .option('--search-seed <n>', 'seed of the random search')
    .option('--max-parallel <n>', 'trainings unfinished at once (default: the local training slots)')
    .option('--objective <name>', 'val_loss, val_accuracy or val_sharpe (default: val_loss)')
    .option('--epochs <n>', 'overrides training.epochs in every training')
    .option('--json', 'print the final table as JSON', false)
    .option('--server <url>', `run on a ktrdr backend instead of in this process; ${SERVER_HELP}`)
    .option('--token <token>', TOKEN_HELP)
    .option('--detach', 'with --server: print the sweep id and return instead of following', false)
    .option('--mode <mode>', 'with --server: execution mode of every training, auto | local | host')
    .action(async (strategy: string, options: SweepOptions) => {
      process.exitCode = await withJsonErrors(options.json, async () => runSweep(await sweepRequest(strategy, options), options));
    });
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** The sweep file (if any) with the options laid over it, checked by the same contract as `POST /sweeps`. */
async function sweepRequest(strategy: string, options: SweepOptions): Promise<StartSweepRequest> {
  const file = options.file === undefined ? {} : await readSweepFile(options.file);
  const params = { ...((file.params as Record<string, unknown> | undefined) ?? {}) };
  for (const axis of options.param.map(parseParamArg)) params[axis.path] = axis.values;
  if (Object.keys(params).length === 0) throw new KtrdrError('VALIDATION_FAILED', 'a sweep needs at least one --param (or params in --file)');
  const integer = (option: string, value: string | undefined, max = 0xffffffff) =>
    value === undefined ? undefined : integerOption(option, value, option === '--search-seed' ? 0 : 1, max);
  const body = {
    ...file,
    strategy_name: strategy,
    params,
    ...defined({
      seeds: options.seeds === undefined ? undefined : parseSeeds(options.seeds),
      search: options.search,
      samples: integer('--samples', options.samples, 10_000),
      search_seed: integer('--search-seed', options.searchSeed),
      max_parallel: integer('--max-parallel', options.maxParallel, 1000),
      objective: options.objective,
      epochs: integer('--epochs', options.epochs, 100_000),
      execution_mode: options.mode,
    }),
  };
  return parsePart(StartSweepRequestSchema, body, 'body');
}

async function readSweepFile(path: string): Promise<Record<string, unknown>> {
  let parsed: unknown;
  try {
    parsed = parseYaml(await readFile(path, 'utf8'));
  } catch (error) {
    throw new KtrdrError('VALIDATION_FAILED', `cannot read sweep file ${path}: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed))
    throw new KtrdrError('VALIDATION_FAILED', `sweep file ${path} must be a mapping (params, seeds, objective, …)`);
  return parsed as Record<string, unknown>;
}

function defined(values: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(values).filter(([, v]) => v !== undefined));
}

async function runSweep(request: StartSweepRequest, options: SweepOptions): Promise<number> {
  if (options.server !== undefined || options.detach || options.mode !== undefined) {
    const client = new BackendClient(resolveServerUrl(options.server));
    const started = await client.startSweep(request);
    process.stderr.write(`Started sweep ${started.operation_id}: ${started.trainings} trainings\n`);
    if (options.detach) {
      process.stdout.write(options.json ? `${JSON.stringify(started)}\n` : `${started.operation_id}\n`);
      return 0;
    }
    const runner: ParentRunner<SweepResponse> = {
      report: (id) => client.getSweep(id),
      cancel: async (id, reason) => void (await client.cancelOperation(id, reason)),
    };
    return printed(await followSweep(runner, started.operation_id), options);
  }
  return withEmbeddedBackend(request.max_parallel, async (backend) => {
    const sweep = await backend.sweeps.start(sweepParamsFromRequest(request));
    process.stderr.write(`Started sweep ${sweep.id}: ${String(sweep.request.trainings)} trainings\n`);
    const runner: ParentRunner<SweepResponse> = {
      report: async (id) => sweepView(await backend.sweeps.report(id)),
      cancel: async (id, reason) => void (await backend.training.cancel(id, reason)),
    };
    const report = await followSweep(runner, sweep.id);
    return printed(report, options);
  });
}

function followSweep(runner: ParentRunner<SweepResponse>, id: string): Promise<SweepResponse> {
  return followParent(runner, id, {
    progressOut: process.stderr,
    statusOf: (report) => ({ status: report.status, message: report.progress?.message ?? null }),
  });
}

function printed(report: SweepResponse, options: SweepOptions): number {
  process.stdout.write(options.json ? `${JSON.stringify(report)}\n` : sweepTable(report));
  return parentExitCode(report.status);
}

/** The ranked table: one row per configuration, mean ± std of the objective across seeds, the best marked `*`. */
export function sweepTable(report: SweepResponse): string {
  const paths = Object.keys(report.configurations[0]?.params ?? {});
  const rows = report.configurations.map((c) => [
    c.rank === null ? '-' : `${c.rank}${c.rank === 1 ? ' *' : ''}`,
    c.configuration_id,
    ...paths.map((p) => JSON.stringify(c.params[p])),
    c.mean === null ? '-' : `${formatNumber(c.mean)} ± ${c.std === null ? '-' : formatNumber(c.std)}`,
    `${c.completed}/${c.trials.length}`,
    String(c.failed),
  ]);
  const head = `Sweep ${report.operation_id} (${report.strategy}): ${report.status}, ${report.finished}/${report.total} trainings, ranked by ${report.objective} (${report.direction === 'min' ? 'lower' : 'higher'} is better, validation split)\n`;
  return head + table(['RANK', 'CONFIG', ...paths.map((p) => p.toUpperCase()), report.objective.toUpperCase(), 'SEEDS', 'FAILED'], rows);
}
