import { describe, expect, it } from 'vitest';
import { buyAndHoldEquity, drawdown, measuredPeriodsPerYear, returnRiskMetrics, tradeMetrics, YEAR_MS } from '../../src/backtest/metrics.js';

// Returns 0.1, -0.1, 0.1, 0.1 over exactly one year in four steps.
const equity = Float64Array.from([100, 110, 99, 108.9, 119.79]);
const timestamps = Float64Array.from(equity, (_, i) => Date.UTC(2020, 0, 1) + (i * YEAR_MS) / 4);

describe('returnRiskMetrics (hand-computed)', () => {
  it('should compute each figure on a known equity curve', () => {
    // mean 0.05; deviations 0.05, -0.15, 0.05, 0.05 → sample variance 0.03 / 3 = 0.01, std 0.1.
    // Downside deviation sqrt(0.1² / 3); 4 bar intervals per year, so the annualiser is 2.
    const m = returnRiskMetrics(timestamps, equity, 4);
    expect(m.totalReturn).toBeCloseTo(0.1979, 12);
    expect(m.cagr).toBeCloseTo(0.1979, 12);
    expect(m.volatility).toBeCloseTo(0.2, 12);
    expect(m.sharpe).toBeCloseTo(1, 12);
    expect(m.sortino).toBeCloseTo(Math.sqrt(3), 12);
    expect(m.maxDrawdown).toBeCloseTo(0.1, 12);
    // Peak at bar 1 (110), back above it at bar 4.
    expect(m.maxDrawdownBars).toBe(3);
    expect(m.calmar).toBeCloseTo(1.979, 12);
  });

  it('should annualise CAGR over 365.25-day years from the timestamps', () => {
    const twoYears = Float64Array.from([0, 2 * YEAR_MS]);
    const m = returnRiskMetrics(twoYears, Float64Array.from([1, 1.21]), 1);
    expect(m.cagr).toBeCloseTo(0.1, 12);
    // One return: no sample deviation.
    expect(m.volatility).toBeNull();
    expect(m.sharpe).toBeNull();
    expect(m.sortino).toBeNull();
    expect(m.maxDrawdown).toBe(0);
    expect(m.calmar).toBeNull();
  });

  it('should give null, never NaN or Infinity, where a figure is undefined', () => {
    const rising = returnRiskMetrics(timestamps, Float64Array.from([1, 1.1, 1.21, 1.331, 1.4641]), 4);
    expect(rising.volatility).toBeCloseTo(0, 12);
    expect(rising.sortino).toBeNull(); // no losing bar
    expect(rising.calmar).toBeNull(); // no drawdown
    const ruined = returnRiskMetrics(timestamps, Float64Array.from([1, 0.5, 0, 0, 0]), 4);
    expect(ruined.cagr).toBe(-1);
    for (const value of Object.values(ruined)) expect(value === null || Number.isFinite(value)).toBe(true);
  });

  it('should measure bars per year as bar intervals over the years spanned', () => {
    expect(measuredPeriodsPerYear(timestamps)).toBeCloseTo(4, 12);
    const daily = Float64Array.from({ length: 366 }, (_, i) => i * 86_400_000);
    expect(measuredPeriodsPerYear(daily)).toBeCloseTo(365.25, 9);
  });
});

describe('drawdown', () => {
  it('should run a drawdown that never recovers to the last bar', () => {
    expect(drawdown(Float64Array.from([1, 2, 1.5, 1.8]))).toEqual({ maxDrawdown: 0.25, maxDrawdownBars: 2 });
  });

  it('should report the longest span, which need not be the deepest fall', () => {
    // Deep one-bar dip (50 %) then a shallow four-bar one (10 %).
    const result = drawdown(Float64Array.from([1, 0.5, 1, 0.9, 0.9, 0.9, 1.1]));
    expect(result.maxDrawdown).toBeCloseTo(0.5, 12);
    expect(result.maxDrawdownBars).toBe(4);
  });
});

describe('tradeMetrics', () => {
  it('should compute win rate, profit factor and averages from the trades', () => {
    // Trades with pnl 0.1, -0.05, 0.2, -0.05, returns 0.1, -0.04, 0.2, -0.06 and 1, 2, 3, 4 bars held.
    const m = tradeMetrics({ count: 4, wins: 2, grossProfit: 0.3, grossLoss: 0.1, returnSum: 0.2, barsHeldSum: 10 });
    expect(m.trades).toBe(4);
    expect(m.winRate).toBe(0.5);
    expect(m.profitFactor).toBeCloseTo(3, 12);
    expect(m.averageTradeReturn).toBeCloseTo(0.05, 12);
    expect(m.averageBarsHeld).toBe(2.5);
  });

  it('should give a null profit factor when no trade lost', () => {
    const m = tradeMetrics({ count: 1, wins: 1, grossProfit: 1, grossLoss: 0, returnSum: 1, barsHeldSum: 1 });
    expect(m.profitFactor).toBeNull();
    expect(m.winRate).toBe(1);
  });
});

describe('buyAndHoldEquity', () => {
  it('should stay at the initial capital through bar 0 and buy at bar 1 open', () => {
    const curve = buyAndHoldEquity(Float64Array.from([10, 20, 30]), Float64Array.from([15, 25, 40]), 2);
    expect([...curve]).toEqual([2, 2.5, 4]);
  });
});
