import { writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { BackendClient, resolveServerUrl } from '../../api/client/backend-client.js';
import { StartWalkForwardRequestSchema, type StartWalkForwardRequest, type WalkForwardResponse } from '../../contracts/walkforwards.js';
import { parsePart } from '../../http/parse.js';
import { walkForwardParamsFromRequest, walkForwardView } from '../../sweeps/walkforward-request.js';
import { withEmbeddedBackend } from '../embedded-backend.js';
import { followParent, parentExitCode, type ParentRunner } from '../follow-parent.js';
import { SERVER_HELP, TOKEN_HELP, displayPath, integerOption, table } from '../format.js';
import { withJsonErrors } from '../json-errors.js';

interface WalkForwardOptions {
  train: string;
  test: string;
  step?: string;
  start?: string;
  end?: string;
  symbol?: string;
  epochs?: string;
  seed?: string;
  maxParallel?: string;
  equityOut?: string;
  json?: boolean;
  server?: string;
  detach?: boolean;
  mode?: string;
}

/** `ktrdr walkforward <strategy> --train 3y --test 6m`: retrain on rolling windows, trade each next period out of sample. */
export function registerWalkForwardCommand(program: Command): void {
  program
    .command('walkforward')
    .description('Train on rolling windows, backtest each next period out of sample and stitch the equity into one curve')
    .argument('<strategy>', 'strategy name in the strategies directory')
    .requiredOption('--train <duration>', 'training window, e.g. 3y, 18m, 90d')
    .requiredOption('--test <duration>', 'out-of-sample period after each window, e.g. 6m')
    .option('--step <duration>', 'how far each window moves on (default: --test)')
    .option('--start <date>', "first day of the first window (default: the strategy's start_date, else the first bar)")
    .option('--end <date>', "last day (default: the strategy's end_date, else the last bar)")
    .option('--symbol <symbol>', "symbol traded out of sample (default: the strategy's first)")
    .option('--epochs <n>', 'overrides training.epochs in every window')
    .option('--seed <n>', 'overrides training.seed in every window')
    .option('--max-parallel <n>', 'windows trained at once (default: the local training slots)')
    .option('--equity-out <file.csv>', 'write the stitched curve as CSV (timestamp,equity,buy_and_hold)')
    .option('--json', 'print the result as JSON', false)
    .option('--server <url>', `run on a ktrdr backend instead of in this process; ${SERVER_HELP}`)
    .option('--token <token>', TOKEN_HELP)
    .option('--detach', 'with --server: print the walk-forward id and return instead of following', false)
    .option('--mode <mode>', 'with --server: execution mode of every training, auto | local | host')
    .action(async (strategy: string, options: WalkForwardOptions) => {
      process.exitCode = await withJsonErrors(options.json, async () => runWalkForward(walkForwardRequest(strategy, options), options));
    });
}

function walkForwardRequest(strategy: string, options: WalkForwardOptions): StartWalkForwardRequest {
  const integer = (option: string, value: string | undefined, min: number, max: number) =>
    value === undefined ? undefined : integerOption(option, value, min, max);
  const body = {
    strategy_name: strategy,
    train: options.train,
    test: options.test,
    step: options.step,
    start_date: options.start,
    end_date: options.end,
    symbol: options.symbol,
    epochs: integer('--epochs', options.epochs, 1, 100_000),
    seed: integer('--seed', options.seed, 0, 0xffffffff),
    max_parallel: integer('--max-parallel', options.maxParallel, 1, 1000),
    execution_mode: options.mode,
  };
  return parsePart(StartWalkForwardRequestSchema, Object.fromEntries(Object.entries(body).filter(([, v]) => v !== undefined)), 'body');
}

async function runWalkForward(request: StartWalkForwardRequest, options: WalkForwardOptions): Promise<number> {
  const statusOf = (report: WalkForwardResponse) => ({ status: report.status, message: report.progress?.message ?? null });
  if (options.server !== undefined || options.detach || options.mode !== undefined) {
    const client = new BackendClient(resolveServerUrl(options.server));
    const started = await client.startWalkForward(request);
    process.stderr.write(`Started walk-forward ${started.operation_id}: ${started.windows} windows\n`);
    if (options.detach) {
      process.stdout.write(options.json ? `${JSON.stringify(started)}\n` : `${started.operation_id}\n`);
      return 0;
    }
    const runner: ParentRunner<WalkForwardResponse> = {
      report: (id) => client.getWalkForward(id),
      cancel: async (id, reason) => void (await client.cancelOperation(id, reason)),
    };
    return printed(await followParent(runner, started.operation_id, { progressOut: process.stderr, statusOf }), options);
  }
  return withEmbeddedBackend(request.max_parallel, async (backend) => {
    const operation = await backend.walkForwards.start(walkForwardParamsFromRequest(request));
    process.stderr.write(`Started walk-forward ${operation.id}: ${(operation.request.windows as unknown[]).length} windows\n`);
    const runner: ParentRunner<WalkForwardResponse> = {
      report: async (id) => walkForwardView(await backend.walkForwards.report(id)),
      cancel: async (id, reason) => void (await backend.training.cancel(id, reason)),
    };
    return printed(await followParent(runner, operation.id, { progressOut: process.stderr, statusOf }), options);
  });
}

async function printed(report: WalkForwardResponse, options: WalkForwardOptions): Promise<number> {
  if (options.equityOut && report.equity) await writeFile(options.equityOut, equityCsv(report.equity));
  process.stdout.write(options.json ? `${JSON.stringify(report)}\n` : walkForwardText(report, options));
  return parentExitCode(report.status);
}

const pct = (value: number | null | undefined): string => (value === null || value === undefined ? '-' : `${(value * 100).toFixed(2)}%`);
const ratio = (value: number | null | undefined): string => (value === null || value === undefined ? '-' : value.toFixed(2));
const day = (text: string): string => text.slice(0, 10);

/** The per-window table, then the stitched curve's figures next to buy-and-hold stitched the same way. */
export function walkForwardText(report: WalkForwardResponse, options: { equityOut?: string } = {}): string {
  const rows = report.windows.map((w) => [
    String(w.index),
    `${day(w.train_start)} .. ${day(w.train_end)}`,
    `${day(w.test_start)} .. ${day(w.test_end)}`,
    w.model_version === null ? '-' : `v${w.model_version}`,
    pct(w.total_return),
    ratio(w.sharpe),
    pct(w.max_drawdown),
    w.trades === null ? '-' : String(w.trades),
    pct(w.buy_and_hold_return),
    w.error === null ? w.status : `${w.status}: [${w.error.code}] ${w.error.message}`,
  ]);
  const head = `Walk-forward ${report.operation_id} (${report.strategy} on ${report.symbol}): ${report.status}, train ${report.train}, test ${report.test}, step ${report.step}\n`;
  const m = report.metrics;
  const b = report.benchmark;
  const stitched = m
    ? `Stitched out-of-sample: return ${pct(m.total_return)} (buy-and-hold ${pct(b?.total_return)}), CAGR ${pct(m.cagr)}, ` +
      `Sharpe ${ratio(m.sharpe)} (${ratio(b?.sharpe)}), max drawdown ${pct(m.max_drawdown)} (${pct(b?.max_drawdown)}), ${m.trades ?? 0} trades\n`
    : 'No stitched curve: no window was backtested\n';
  const written = options.equityOut && report.equity ? `Equity written to ${displayPath(options.equityOut)}\n` : '';
  return head + table(['WINDOW', 'TRAIN', 'TEST', 'MODEL', 'RETURN', 'SHARPE', 'MAX DD', 'TRADES', 'BUY&HOLD', 'STATUS'], rows) + stitched + written;
}

function equityCsv(equity: NonNullable<WalkForwardResponse['equity']>): string {
  const lines = ['timestamp,equity,buy_and_hold'];
  equity.timestamps.forEach((t, i) => lines.push(`${t},${equity.equity[i]},${equity.benchmark[i]}`));
  return `${lines.join('\n')}\n`;
}
