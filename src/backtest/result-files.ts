/**
 * A finished backtest's trades and equity curve on disk, one directory per run: `trades.json` (the trades as the API
 * serves them) and `equity.json` (bar times in epoch ms, equity, position and buy-and-hold equity per bar). The directory is assembled
 * under a temporary name and renamed into place, so a reader sees both files or neither.
 */
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { KtrdrError } from '../errors.js';
import type { BacktestResult } from './engine.js';
import { tradeToWire } from './json.js';

export const TRADES_FILE = 'trades.json';
export const EQUITY_FILE = 'equity.json';

export interface EquityCurve {
  readonly timestamps: Float64Array;
  readonly equity: Float64Array;
  /** Buy-and-hold on the same bars; null in files written before it was recorded. */
  readonly benchmark: Float64Array | null;
}

/** Where a run's files are assembled before the rename; removed by `removeBacktestFiles` too. */
export function stagingDir(dir: string): string {
  return `${dir}.tmp`;
}

export async function writeBacktestFiles(dir: string, timestamps: Float64Array, result: BacktestResult): Promise<void> {
  const staging = stagingDir(dir);
  await rm(staging, { recursive: true, force: true });
  await mkdir(staging, { recursive: true });
  await writeFile(join(staging, TRADES_FILE), JSON.stringify(result.trades.map(tradeToWire)));
  const equity = {
    timestamps: Array.from(timestamps),
    equity: Array.from(result.equity),
    position: Array.from(result.position),
    benchmark: Array.from(result.benchmarkEquity),
  };
  await writeFile(join(staging, EQUITY_FILE), JSON.stringify(equity));
  await rm(dir, { recursive: true, force: true });
  await rename(staging, dir);
}

/** A run's files, finished or half-written (a cancelled or failed run leaves nothing behind). */
export async function removeBacktestFiles(dir: string): Promise<void> {
  await rm(stagingDir(dir), { recursive: true, force: true });
  await rm(dir, { recursive: true, force: true });
}

export async function readBacktestTrades(dir: string): Promise<Record<string, unknown>[]> {
  return JSON.parse(await readResultFile(dir, TRADES_FILE)) as Record<string, unknown>[];
}

export async function readEquityCurve(dir: string): Promise<EquityCurve> {
  const parsed = JSON.parse(await readResultFile(dir, EQUITY_FILE)) as { timestamps: number[]; equity: number[]; benchmark?: number[] };
  return {
    timestamps: Float64Array.from(parsed.timestamps),
    equity: Float64Array.from(parsed.equity),
    benchmark: parsed.benchmark === undefined ? null : Float64Array.from(parsed.benchmark),
  };
}

async function readResultFile(dir: string, name: string): Promise<string> {
  try {
    return await readFile(join(dir, name), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    throw new KtrdrError('INTERNAL', `the backtest's ${name} is missing from ${dir}`, {
      details: { dir, file: name },
      hint: 'the files of a completed backtest were removed; run the backtest again',
    });
  }
}
