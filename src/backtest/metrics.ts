/**
 * Performance figures of an equity curve, and the buy-and-hold benchmark they are compared with. Every definition
 * here is a contract documented in docs/backtest.md; a figure that is undefined for the data (a ratio with a zero
 * denominator, a deviation of a single return) is `null`, never NaN or Infinity, so results serialise as JSON.
 */

/** 365.25-day years, the unit of CAGR and of the bars-per-year measured from timestamps. */
export const YEAR_MS = 365.25 * 86_400_000;

/** The return and risk figures shared by the strategy and its buy-and-hold benchmark. */
export interface ReturnRiskMetrics {
  /** Last equity / first equity - 1. */
  totalReturn: number;
  /** (last / first)^(1 / years) - 1 with years from the first to the last timestamp; -1 when the equity ends at or below 0. */
  cagr: number | null;
  /** Sample standard deviation (ddof 1) of the per-bar returns × sqrt(periodsPerYear). */
  volatility: number | null;
  /** Mean per-bar return / its sample standard deviation × sqrt(periodsPerYear); risk-free rate 0. */
  sharpe: number | null;
  /** Mean per-bar return / downside deviation × sqrt(periodsPerYear), downside deviation = sqrt(Σ min(r, 0)² / (n - 1)). */
  sortino: number | null;
  /** Largest fall from a running peak, as a positive fraction of that peak (0 when the curve never falls). */
  maxDrawdown: number;
  /** Longest span in bars from a peak to the first bar back at or above it, or to the last bar when never recovered. */
  maxDrawdownBars: number;
  /** CAGR / maxDrawdown. */
  calmar: number | null;
}

export type BenchmarkMetrics = ReturnRiskMetrics;

/** What the trade figures are computed from: sums over the trades, kept by the engine as it closes each one. */
export interface TradeTotals {
  readonly count: number;
  /** Trades with pnl > 0. */
  readonly wins: number;
  /** Sum of the positive pnl. */
  readonly grossProfit: number;
  /** Minus the sum of the negative pnl (a positive number). */
  readonly grossLoss: number;
  readonly returnSum: number;
  readonly barsHeldSum: number;
}

export interface TradeMetrics {
  trades: number;
  /** Share of trades with pnl > 0. */
  winRate: number | null;
  /** Gross profit / gross loss (sum of positive pnl / -sum of negative pnl); null when no trade lost. */
  profitFactor: number | null;
  /** Mean of the trades' net returns (fractions). */
  averageTradeReturn: number | null;
  averageBarsHeld: number | null;
}

export interface BacktestMetrics extends ReturnRiskMetrics, TradeMetrics {
  /** The annualisation factor used: given in the settings, or measured as bar intervals per year. */
  periodsPerYear: number;
  /** Share of bars during which a position was held. */
  exposure: number;
  /** Total traded notional (every entry and exit fill) / mean equity over all bars. */
  turnover: number | null;
  /** Total fees paid, in the currency of the initial capital. */
  feesPaid: number;
}

function finiteOrNull(value: number): number | null {
  return Number.isFinite(value) ? value : null;
}

/** Years between the first and the last timestamp (365.25-day years). */
export function yearsSpanned(timestamps: Float64Array): number {
  return (timestamps[timestamps.length - 1] - timestamps[0]) / YEAR_MS;
}

/** Bar intervals per year, measured from the timestamps: (bars - 1) / years; null when the span is empty. */
export function measuredPeriodsPerYear(timestamps: Float64Array): number | null {
  const years = yearsSpanned(timestamps);
  return years > 0 ? (timestamps.length - 1) / years : null;
}

/**
 * Return and risk figures of `equity` (one value per bar, at its close) over `timestamps`. Per-bar returns are
 * equity[i] / equity[i - 1] - 1 for i ≥ 1; they are recomputed in each pass instead of stored, so this allocates nothing.
 */
export function returnRiskMetrics(timestamps: Float64Array, equity: Float64Array, periodsPerYear: number): ReturnRiskMetrics {
  const n = equity.length;
  const first = equity[0];
  const last = equity[n - 1];
  const totalReturn = last / first - 1;
  const years = yearsSpanned(timestamps);
  const growth = last / first;
  const cagr = years > 0 ? (growth > 0 ? finiteOrNull(growth ** (1 / years) - 1) : -1) : null;

  const count = n - 1;
  // One pass with sums shifted by the first return (so the variance does not cancel catastrophically); each return
  // costs one division, the expensive part.
  const shift = equity[1] / equity[0] - 1;
  let sum = 0;
  let squares = 0;
  let downside = 0;
  for (let i = 1; i < n; i++) {
    const r = equity[i] / equity[i - 1] - 1;
    const d = r - shift;
    // min(r, 0) without a branch (the sign of a return is a coin flip the CPU cannot predict) and without Math.min,
    // whose -0/NaN handling makes it several times slower here; exact, since r - |r| is 2r or 0.
    const loss = (r - Math.abs(r)) * 0.5;
    sum += d;
    squares += d * d;
    downside += loss * loss;
  }
  const mean = shift + sum / count;
  // Σ(r - mean)² = Σd² - (Σd)² / count; clamped at 0 against rounding on a constant series.
  const deviations = Math.max(0, squares - (sum * sum) / count);
  const annualiser = Math.sqrt(periodsPerYear);
  const std = count > 1 ? Math.sqrt(deviations / (count - 1)) : NaN;
  const downsideDeviation = count > 1 ? Math.sqrt(downside / (count - 1)) : NaN;
  const volatility = finiteOrNull(std * annualiser);
  const sharpe = std > 0 ? finiteOrNull((mean / std) * annualiser) : null;
  const sortino = downsideDeviation > 0 ? finiteOrNull((mean / downsideDeviation) * annualiser) : null;

  const { maxDrawdown, maxDrawdownBars } = drawdown(equity);
  const calmar = cagr !== null && maxDrawdown > 0 ? finiteOrNull(cagr / maxDrawdown) : null;
  return { totalReturn, cagr, volatility, sharpe, sortino, maxDrawdown, maxDrawdownBars, calmar };
}

/** Deepest fall from a running peak and the longest peak-to-recovery span (to the end when the last one never recovers). */
export function drawdown(equity: Float64Array): { maxDrawdown: number; maxDrawdownBars: number } {
  let peak = equity[0];
  let peakIndex = 0;
  let maxDrawdown = 0;
  let maxDrawdownBars = 0;
  for (let i = 1; i < equity.length; i++) {
    const value = equity[i];
    if (value >= peak) {
      // Back at the peak: bars strictly between were below it, so a gap of more than one bar closes a drawdown.
      if (i - peakIndex > 1 && i - peakIndex > maxDrawdownBars) maxDrawdownBars = i - peakIndex;
      peak = value;
      peakIndex = i;
    } else {
      const fall = (peak - value) / peak;
      if (fall > maxDrawdown) maxDrawdown = fall;
    }
  }
  const openSpan = equity.length - 1 - peakIndex;
  if (openSpan > maxDrawdownBars) maxDrawdownBars = openSpan;
  return { maxDrawdown, maxDrawdownBars };
}

export function tradeMetrics(totals: TradeTotals): TradeMetrics {
  const { count, wins, grossProfit, grossLoss, returnSum, barsHeldSum } = totals;
  return {
    trades: count,
    winRate: count > 0 ? wins / count : null,
    profitFactor: grossLoss > 0 ? grossProfit / grossLoss : null,
    averageTradeReturn: count > 0 ? returnSum / count : null,
    averageBarsHeld: count > 0 ? barsHeldSum / count : null,
  };
}

/**
 * The buy-and-hold curve the strategy is compared with: flat at `initialCapital` through bar 0, then fully invested
 * at bar 1's open (the strategy's first possible fill) and marked at every close; no fees and no slippage.
 */
export function buyAndHoldEquity(open: Float64Array, close: Float64Array, initialCapital: number): Float64Array {
  const n = close.length;
  const equity = new Float64Array(n);
  equity[0] = initialCapital;
  const units = initialCapital / open[1];
  for (let i = 1; i < n; i++) equity[i] = units * close[i];
  return equity;
}
