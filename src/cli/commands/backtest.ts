import { readFile, writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import type { BacktestSettings } from '../../backtest/engine.js';
import { loadSettings } from '../../config/settings.js';
import { BACKTEST_MODES, modeToWire } from '../../backtest/json.js';
import { MarketDataRepository } from '../../data/repository.js';
import { formatTimestamp } from '../../data/timestamp.js';
import { KtrdrError } from '../../errors.js';
import { backtestModel, backtestRunSummary, backtestSignals, type BacktestRun } from '../../models/model-backtest.js';
import { FileModelStore } from '../../models/model-store.js';
import { displayPath, integerOption, table } from '../format.js';
import { withJsonErrors } from '../json-errors.js';

interface BacktestOptions {
  version?: string;
  symbol?: string;
  timeframe?: string;
  start?: string;
  end?: string;
  mode?: string;
  feeBps?: string;
  slippageBps?: string;
  confidence?: string;
  positionFraction?: string;
  signals?: string;
  json?: boolean;
  tradesOut?: string;
  equityOut?: string;
}

/** `ktrdr backtest <strategy>`: does the model make money after costs, next to buy-and-hold on the same bars? */
export function registerBacktestCommand(program: Command): void {
  program
    .command('backtest')
    .description('Backtest a trained model (or a signals file) on stored bars: trades, equity and risk metrics against buy-and-hold')
    .argument('<strategy>', 'strategy name (its model), or a label for --signals')
    .option('--version <n>', 'model version (default: latest)')
    .option('--symbol <symbol>', "symbol in the data directory (default: the model's first symbol)")
    .option('--timeframe <tf>', "timeframe (default: the model's base timeframe; required with --signals)")
    .option('--start <date>', 'first bar traded, inclusive (earlier bars only warm indicators up)')
    .option('--end <date>', 'last bar read, inclusive')
    .option('--mode <mode>', 'long_only or long_short', 'long_only')
    .option('--fee-bps <n>', 'fee per side, basis points of traded notional', '0')
    .option('--slippage-bps <n>', 'price concession on every fill, basis points', '0')
    .option('--confidence <p>', "BUY/SELL below this probability count as HOLD (default: the strategy's decisions.confidence_threshold)")
    .option('--position-fraction <f>', 'share of equity put into each entry, (0, 1]', '1')
    .option('--signals <file.csv>', 'backtest these signals (timestamp,signal with BUY/HOLD/SELL or 1/0/-1) instead of a model')
    .option('--trades-out <file.csv>', 'write every trade as CSV')
    .option('--equity-out <file.csv>', 'write the equity curve as CSV (timestamp,equity,position)')
    .option('--json', 'print JSON', false)
    .action((strategy: string, options: BacktestOptions) =>
      withJsonErrors(options.json, async () => {
        const run = await runFromOptions(strategy, options);
        if (options.tradesOut) await writeFile(options.tradesOut, tradesCsv(run));
        if (options.equityOut) await writeFile(options.equityOut, equityCsv(run));
        if (options.json) process.stdout.write(`${JSON.stringify(backtestRunSummary(run, strategy))}\n`);
        else process.stdout.write(summaryText(run, options));
      }),
    );
}

async function runFromOptions(strategy: string, options: BacktestOptions): Promise<BacktestRun> {
  const settings = loadSettings();
  const data = new MarketDataRepository(settings.dataDir);
  const backtest = settingsFromOptions(options);
  if (options.signals) {
    if (!options.symbol || !options.timeframe)
      throw new KtrdrError('VALIDATION_FAILED', '--signals needs --symbol and --timeframe (the bars to trade on)');
    const signalsCsv = await readFile(options.signals, 'utf8');
    return backtestSignals(data, {
      ...range(options),
      symbol: options.symbol,
      timeframe: options.timeframe,
      signalsCsv,
      source: options.signals,
      settings: backtest,
    });
  }
  const store = new FileModelStore(settings.modelsDir);
  const version =
    options.version === undefined ? undefined : integerOption('--version', options.version.replace(/^v/, ''), 1, Number.MAX_SAFE_INTEGER);
  const symbol = options.symbol ?? (await store.load(strategy, version)).artifact.manifest.symbols[0];
  return backtestModel(store, data, { ...range(options), strategy, version, symbol, timeframe: options.timeframe, settings: backtest });
}

function range(options: BacktestOptions): { start?: string; end?: string } {
  return { start: options.start, end: options.end };
}

function settingsFromOptions(options: BacktestOptions): Partial<BacktestSettings> {
  const mode = options.mode ?? 'long_only';
  if (!(mode in BACKTEST_MODES)) throw new KtrdrError('VALIDATION_FAILED', `--mode must be long_only or long_short, got '${mode}'`);
  return {
    mode: BACKTEST_MODES[mode as keyof typeof BACKTEST_MODES],
    feeBps: numberOption('--fee-bps', options.feeBps),
    slippageBps: numberOption('--slippage-bps', options.slippageBps),
    confidenceThreshold: numberOption('--confidence', options.confidence),
    positionFraction: numberOption('--position-fraction', options.positionFraction),
  };
}

function numberOption(option: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n)) throw new KtrdrError('VALIDATION_FAILED', `${option} must be a number, got '${value}'`);
  return n;
}

const pct = (value: number | null): string => (value === null ? '-' : `${(value * 100).toFixed(2)}%`);
const ratio = (value: number | null): string => (value === null ? '-' : value.toFixed(2));

function summaryText(run: BacktestRun, options: BacktestOptions): string {
  const { bars, result } = run;
  const { metrics: m, benchmark: b, settings } = result;
  const what = run.strategy === null ? `signals ${options.signals}` : `${run.strategy} v${run.version}`;
  const head =
    `Backtest of ${what} on ${run.symbol} ${run.timeframe}: ${bars.timestamps.length} bars, ` +
    `${formatTimestamp(bars.timestamps[0])} .. ${formatTimestamp(bars.timestamps[bars.timestamps.length - 1])}\n` +
    `${modeToWire(settings.mode)}, fee ${settings.feeBps} bps, slippage ${settings.slippageBps} bps per fill, ` +
    `confidence threshold ${settings.confidenceThreshold}, position fraction ${settings.positionFraction}\n`;
  const rows: string[][] = [
    ['total return', pct(m.totalReturn), pct(b.totalReturn)],
    ['CAGR', pct(m.cagr), pct(b.cagr)],
    ['volatility (annual)', pct(m.volatility), pct(b.volatility)],
    ['Sharpe', ratio(m.sharpe), ratio(b.sharpe)],
    ['Sortino', ratio(m.sortino), ratio(b.sortino)],
    ['max drawdown', pct(m.maxDrawdown), pct(b.maxDrawdown)],
    ['max drawdown (bars)', String(m.maxDrawdownBars), String(b.maxDrawdownBars)],
    ['Calmar', ratio(m.calmar), ratio(b.calmar)],
  ];
  const trades =
    `Trades ${m.trades}, win rate ${pct(m.winRate)}, profit factor ${ratio(m.profitFactor)}, ` +
    `average trade ${pct(m.averageTradeReturn)} over ${m.averageBarsHeld === null ? '-' : m.averageBarsHeld.toFixed(1)} bars, ` +
    `exposure ${pct(m.exposure)}, turnover ${ratio(m.turnover)}, fees ${m.feesPaid.toFixed(6)}\n`;
  const written = [
    options.tradesOut && `Trades written to ${displayPath(options.tradesOut)}`,
    options.equityOut && `Equity written to ${displayPath(options.equityOut)}`,
  ]
    .filter(Boolean)
    .map((line) => `${line}\n`)
    .join('');
  return head + table(['', 'STRATEGY', 'BUY & HOLD'], rows) + trades + written;
}

function tradesCsv(run: BacktestRun): string {
  const header = 'side,entry_time,exit_time,entry_price,exit_price,return,pnl,fees,bars_held,open_at_end';
  const lines = run.result.trades.map((t) =>
    [
      t.side,
      formatTimestamp(t.entryTime),
      formatTimestamp(t.exitTime),
      t.entryPrice,
      t.exitPrice,
      t.returnPct,
      t.pnl,
      t.fees,
      t.barsHeld,
      t.openAtEnd,
    ].join(','),
  );
  return `${[header, ...lines].join('\n')}\n`;
}

function equityCsv(run: BacktestRun): string {
  const { timestamps } = run.bars;
  const { equity, position } = run.result;
  const lines = ['timestamp,equity,position'];
  for (let i = 0; i < timestamps.length; i++) lines.push(`${formatTimestamp(timestamps[i])},${equity[i]},${position[i]}`);
  return `${lines.join('\n')}\n`;
}
