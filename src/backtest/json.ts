/** The backtest's outputs as files and HTTP answers carry them: snake_case names, the mode as `long_only` / `long_short`. */
import { z } from 'zod';
import { formatTimestamp } from '../data/timestamp.js';
import type { BacktestMetrics, BenchmarkMetrics, BacktestSettings, Trade } from './engine.js';

/** `long_only` / `long_short` at the edge; `longOnly` / `longShort` in the domain. */
export const BACKTEST_MODES = { long_only: 'longOnly', long_short: 'longShort' } as const;
export const BacktestModeSchema = z.enum(['long_only', 'long_short']);
export type BacktestModeWire = z.infer<typeof BacktestModeSchema>;

export function modeToWire(mode: BacktestSettings['mode']): BacktestModeWire {
  return mode === 'longOnly' ? 'long_only' : 'long_short';
}

/** `totalReturn` → `total_return`: the one mapper from the engine's names to the snake_case of files and HTTP. */
function snakeKey(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

type Snake<T> = { [K in keyof T as K extends string ? SnakeString<K> : K]: T[K] };
type SnakeString<S extends string> = S extends `${infer H}${infer R}` ? `${H extends Lowercase<H> ? H : `_${Lowercase<H>}`}${SnakeString<R>}` : S;

export function snakeKeys<T extends object>(value: T): Snake<T> {
  return Object.fromEntries(Object.entries(value).map(([key, v]) => [snakeKey(key), v])) as Snake<T>;
}

export type BacktestMetricsWire = Snake<BacktestMetrics>;
export type BenchmarkMetricsWire = Snake<BenchmarkMetrics>;

export function metricsToWire(metrics: BacktestMetrics): BacktestMetricsWire {
  return snakeKeys(metrics);
}

export function benchmarkToWire(benchmark: BenchmarkMetrics): BenchmarkMetricsWire {
  return snakeKeys(benchmark);
}

export function settingsToWire(settings: BacktestSettings): Record<string, unknown> {
  return { ...snakeKeys({ ...settings, mode: modeToWire(settings.mode) }) };
}

export function tradeToWire(trade: Trade): Record<string, unknown> {
  return { ...snakeKeys(trade), entry_time: formatTimestamp(trade.entryTime), exit_time: formatTimestamp(trade.exitTime) };
}
