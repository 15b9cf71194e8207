/**
 * The backtest engine: BUY/HOLD/SELL signals → fills → equity curve, trades and metrics, in one pass over typed
 * arrays. A signal computed on bar t's close is filled at bar t + 1's open, so nothing a bar could not have known is
 * ever used; the rules and every figure are a contract documented in docs/backtest.md.
 */
import { KtrdrError } from '../errors.js';
import { LABEL_BUY, LABEL_HOLD, LABEL_SELL } from '../labels/label-classes.js';
import { createTradeLog, recordTrade, tradesOf, type TradeLog } from './trade-log.js';
import {
  buyAndHoldEquity,
  measuredPeriodsPerYear,
  returnRiskMetrics,
  tradeMetrics,
  type BacktestMetrics,
  type BenchmarkMetrics,
  type TradeTotals,
} from './metrics.js';

export type { BacktestMetrics, BenchmarkMetrics } from './metrics.js';

/** `longOnly`: BUY enters long, SELL exits to flat. `longShort`: BUY goes long, SELL goes short, each reversing the other. */
export type BacktestMode = 'longOnly' | 'longShort';

export interface BacktestSettings {
  /** @defaultValue 'longOnly' */
  mode: BacktestMode;
  /** Fee per side, in basis points of the traded notional, 0..1000. @defaultValue 0 */
  feeBps: number;
  /** Price concession on every fill, in basis points, 0..1000: buys fill at price × (1 + s), sells at price × (1 - s). @defaultValue 0 */
  slippageBps: number;
  /** A BUY or SELL whose confidence is below this is treated as HOLD; 0 turns the filter off. In [0, 1]. @defaultValue 0 */
  confidenceThreshold: number;
  /** Share of equity committed (fee included) to each entry, in (0, 1]; the rest stays cash. @defaultValue 1 */
  positionFraction: number;
  /** Starting equity; with 1 the equity curve is a growth factor. @defaultValue 1 */
  initialCapital: number;
  /** Annualisation factor for volatility, Sharpe and Sortino; measured from the timestamps when absent. */
  periodsPerYear?: number;
}

export const DEFAULT_BACKTEST_SETTINGS: Readonly<BacktestSettings> = Object.freeze({
  mode: 'longOnly',
  feeBps: 0,
  slippageBps: 0,
  confidenceThreshold: 0,
  positionFraction: 1,
  initialCapital: 1,
});

export interface BacktestBars {
  /** Bar open times, epoch ms, strictly increasing. */
  timestamps: Float64Array;
  open: Float64Array;
  close: Float64Array;
}

export interface BacktestSignals {
  /** One class index per bar, computed on that bar's close: LABEL_BUY (0), LABEL_HOLD (1), LABEL_SELL (2). */
  signals: Uint8Array;
  /** Probability of each bar's signal class; needed only with a confidence threshold. */
  confidence?: Float64Array;
}

export interface Trade {
  side: 'long' | 'short';
  /** Bar whose open filled the entry. */
  entryIndex: number;
  /** Bar whose open filled the exit, or the last bar (filled at its close) when `openAtEnd`. */
  exitIndex: number;
  entryTime: number;
  exitTime: number;
  /** Fill prices, slippage included. */
  entryPrice: number;
  exitPrice: number;
  /** pnl / capital committed at entry: net of fees and slippage, as a fraction. */
  returnPct: number;
  /** Net cash result of the trade, fees and slippage included. */
  pnl: number;
  /** Entry fee + exit fee. */
  fees: number;
  /** Bars during which the position was held (the bars whose `position` is this trade's side). */
  barsHeld: number;
  /** Still open after the last bar: closed at the last close, with fee and slippage. */
  openAtEnd: boolean;
}

export interface BacktestResult {
  /** Equity at each bar's close; the last value is after closing any position still open. */
  equity: Float64Array;
  /** Position held during each bar (after that bar's open fill): -1 short, 0 flat, 1 long. */
  position: Int8Array;
  /** Buy-and-hold equity on the same bars, from the same capital: the benchmark as a curve. */
  benchmarkEquity: Float64Array;
  trades: Trade[];
  metrics: BacktestMetrics;
  benchmark: BenchmarkMetrics;
  settings: BacktestSettings;
}

const MAX_BPS = 1000;

function invalid(message: string, details: Record<string, unknown>): never {
  throw new KtrdrError('VALIDATION_FAILED', message, { details });
}

/** Defaults filled in and every range checked; VALIDATION_FAILED names the setting. */
export function resolveBacktestSettings(overrides: Partial<BacktestSettings> = {}): BacktestSettings {
  // Only the known settings are taken (an object with more in it, such as a whole request, passes nothing else on).
  const defaults = DEFAULT_BACKTEST_SETTINGS;
  const settings: BacktestSettings = {
    mode: overrides.mode ?? defaults.mode,
    feeBps: overrides.feeBps ?? defaults.feeBps,
    slippageBps: overrides.slippageBps ?? defaults.slippageBps,
    confidenceThreshold: overrides.confidenceThreshold ?? defaults.confidenceThreshold,
    positionFraction: overrides.positionFraction ?? defaults.positionFraction,
    initialCapital: overrides.initialCapital ?? defaults.initialCapital,
  };
  if (overrides.periodsPerYear !== undefined) settings.periodsPerYear = overrides.periodsPerYear;
  const { mode, feeBps, slippageBps, confidenceThreshold, positionFraction, initialCapital, periodsPerYear } = settings;
  if (mode !== 'longOnly' && mode !== 'longShort') invalid(`backtest mode must be 'longOnly' or 'longShort', got '${String(mode)}'`, { mode });
  for (const [name, bps] of [
    ['feeBps', feeBps],
    ['slippageBps', slippageBps],
  ] as const) {
    if (!(bps >= 0 && bps <= MAX_BPS)) invalid(`${name} must be between 0 and ${MAX_BPS} basis points, got ${bps}`, { [name]: bps });
  }
  if (!(confidenceThreshold >= 0 && confidenceThreshold <= 1)) {
    invalid(`confidenceThreshold must be in [0, 1], got ${confidenceThreshold}`, { confidenceThreshold });
  }
  if (!(positionFraction > 0 && positionFraction <= 1)) invalid(`positionFraction must be in (0, 1], got ${positionFraction}`, { positionFraction });
  if (!(initialCapital > 0 && Number.isFinite(initialCapital)))
    invalid(`initialCapital must be a positive number, got ${initialCapital}`, { initialCapital });
  if (periodsPerYear !== undefined && !(periodsPerYear > 0 && Number.isFinite(periodsPerYear))) {
    invalid(`periodsPerYear must be a positive number, got ${periodsPerYear}`, { periodsPerYear });
  }
  return settings;
}

function validateInputs(bars: BacktestBars, signals: BacktestSignals, settings: BacktestSettings): void {
  const n = bars.timestamps.length;
  if (n < 2) invalid(`a backtest needs at least 2 bars, got ${n}`, { bars: n });
  const lengths = { open: bars.open.length, close: bars.close.length, signals: signals.signals.length, confidence: signals.confidence?.length ?? n };
  for (const [name, length] of Object.entries(lengths)) {
    if (length !== n) invalid(`${name} has ${length} values but there are ${n} bars`, { bars: n, [name]: length });
  }
  if (settings.confidenceThreshold > 0 && signals.confidence === undefined) {
    invalid('confidenceThreshold needs signal confidences, and none were given', { confidenceThreshold: settings.confidenceThreshold });
  }
  const { timestamps, open, close } = bars;
  const codes = signals.signals;
  // A branch-free scan first (several times faster than checking and reporting bar by bar); only a bad input pays for
  // the second scan that finds and names the first bad bar.
  if (firstBadBar(timestamps, open, close, codes, true) >= 0) {
    const i = firstBadBar(timestamps, open, close, codes, false);
    if (!isPrice(open[i]) || !isPrice(close[i])) {
      invalid(`bar ${i} has a price that is not a positive number (open ${open[i]}, close ${close[i]})`, { index: i });
    }
    if (codes[i] > LABEL_SELL) invalid(`signal ${codes[i]} at bar ${i} is not a class index (0 BUY, 1 HOLD, 2 SELL)`, { index: i });
    invalid(`bar timestamps must increase strictly, but bar ${i} does not`, { index: i });
  }
}

/** Written so that NaN fails. */
function isPrice(value: number): boolean {
  return value > 0 && value < Infinity;
}

/** Index of the first bar with a bad price, timestamp or signal, or -1; with `any`, 0 for "some bar is bad". */
function firstBadBar(timestamps: Float64Array, open: Float64Array, close: Float64Array, codes: Uint8Array, any: boolean): number {
  let bad = 0;
  let previous = -Infinity;
  for (let i = 0; i < timestamps.length; i++) {
    const time = timestamps[i];
    const a = open[i];
    const b = close[i];
    bad |= a > 0 && a < Infinity && b > 0 && b < Infinity && time > previous && codes[i] <= LABEL_SELL ? 0 : 1;
    previous = time;
    if (bad !== 0 && !any) return i;
  }
  return bad !== 0 ? 0 : -1;
}

/** What the simulation adds up besides its output arrays. */
interface SimulationTotals extends TradeTotals {
  equitySum: number;
  feesPaid: number;
  tradedNotional: number;
  exposedBars: number;
}

/**
 * The bar loop, kept in a function of its own so the JIT optimises it whole (a long loop inside a function that also
 * does set-up and metrics is compiled on-stack and deoptimised on every code path the loop had not reached yet).
 * Position state is a signed number of units plus cash; a fill trades units at the slipped price and pays the fee from
 * cash, and equity is cash + units × close. Allocates nothing per bar or per trade: trades are summed into scalars, and
 * written to `log` only when one is given (the replay behind `result.trades`).
 */
function simulate(
  bars: BacktestBars,
  codes: Uint8Array,
  confidence: Float64Array | undefined,
  settings: BacktestSettings,
  equity: Float64Array,
  position: Int8Array,
  log: TradeLog | null,
): SimulationTotals {
  const { timestamps, open, close } = bars;
  const n = timestamps.length;
  const fee = settings.feeBps / 10_000;
  const slip = settings.slippageBps / 10_000;
  const threshold = settings.confidenceThreshold;
  const fraction = settings.positionFraction;
  const shortSide = settings.mode === 'longShort' ? -1 : 0;
  const filtered = confidence !== undefined && threshold > 0;
  const confidences = confidence ?? equity;

  let cash = settings.initialCapital;
  let units = 0;
  let held = 0; // -1, 0, 1
  let target = 0;
  let feesPaid = 0;
  let tradedNotional = 0;
  let exposedBars = 0;
  let equitySum = 0;
  let count = 0;
  let wins = 0;
  let grossProfit = 0;
  let grossLoss = 0;
  let returnSum = 0;
  let barsHeldSum = 0;
  // The open trade, kept in scalars so the loop allocates nothing per bar.
  let entryIndex = 0;
  let entryPrice = 0;
  let entryCapital = 0;
  let entryFee = 0;
  let entryCash = 0;

  // i === n is the liquidation after the last bar, at its close with the same costs as any fill. The last bar's own
  // signal would fill after the data ends, so it is never executed.
  for (let i = 0; i <= n; i++) {
    const atEnd = i === n;
    if (held !== 0 && (atEnd || target !== held)) {
      const exitIndex = atEnd ? n - 1 : i;
      const price = atEnd ? close[n - 1] : open[i];
      const exitPrice = held > 0 ? price * (1 - slip) : price * (1 + slip);
      const notional = held * units * exitPrice;
      const exitFee = notional * fee;
      cash += units * exitPrice - exitFee;
      feesPaid += exitFee;
      tradedNotional += notional;
      const pnl = cash - entryCash;
      const returnPct = pnl / entryCapital;
      // The exit bar itself is held only when the trade is closed at its close rather than its open.
      const barsHeld = exitIndex - entryIndex + (atEnd ? 1 : 0);
      count++;
      if (pnl > 0) {
        wins++;
        grossProfit += pnl;
      } else if (pnl < 0) {
        grossLoss -= pnl;
      }
      returnSum += returnPct;
      barsHeldSum += barsHeld;
      if (log !== null) recordTrade(log, held, entryIndex, exitIndex, entryPrice, exitPrice, pnl, returnPct, entryFee + exitFee, barsHeld, atEnd);
      units = 0;
      held = 0;
      if (atEnd) {
        equitySum += cash - equity[n - 1];
        equity[n - 1] = cash;
      }
    }
    if (atEnd) break;
    // Equity is all cash here; a ruined account (equity ≤ 0) opens nothing more.
    if (target !== held && cash > 0) {
      const price = open[i];
      entryCash = cash;
      entryCapital = cash * fraction;
      entryPrice = target > 0 ? price * (1 + slip) : price * (1 - slip);
      // The committed capital covers notional and entry fee: notional × (1 + fee) = capital.
      const notional = entryCapital / (1 + fee);
      entryFee = notional * fee;
      units = (target * notional) / entryPrice;
      cash -= units * entryPrice + entryFee;
      feesPaid += entryFee;
      tradedNotional += notional;
      entryIndex = i;
      held = target;
    }
    position[i] = held;
    if (held !== 0) exposedBars++;
    const value = cash + units * close[i];
    equity[i] = value;
    equitySum += value;

    const code = filtered && confidences[i] < threshold ? LABEL_HOLD : codes[i];
    target = code === LABEL_BUY ? 1 : code === LABEL_SELL ? shortSide : held;
  }
  return { equitySum, feesPaid, tradedNotional, exposedBars, count, wins, grossProfit, grossLoss, returnSum, barsHeldSum };
}

/** Runs one backtest: validates, simulates, and measures the result against buy-and-hold over the same bars. */
export function runBacktest(bars: BacktestBars, signals: BacktestSignals, overrides?: Partial<BacktestSettings>): BacktestResult {
  const settings = resolveBacktestSettings(overrides);
  validateInputs(bars, signals, settings);
  const { timestamps, open, close } = bars;
  const n = timestamps.length;
  const equity = new Float64Array(n);
  const position = new Int8Array(n);
  const totals = simulate(bars, signals.signals, signals.confidence, settings, equity, position, null);
  const { equitySum, feesPaid, tradedNotional, exposedBars } = totals;

  const periodsPerYear = settings.periodsPerYear ?? measuredPeriodsPerYear(timestamps) ?? 1;
  const meanEquity = equitySum / n;
  const metrics: BacktestMetrics = {
    ...returnRiskMetrics(timestamps, equity, periodsPerYear),
    ...tradeMetrics(totals),
    periodsPerYear,
    exposure: exposedBars / n,
    turnover: meanEquity > 0 ? tradedNotional / meanEquity : null,
    feesPaid,
  };
  const benchmarkEquity = buyAndHoldEquity(open, close, settings.initialCapital);
  const benchmark = returnRiskMetrics(timestamps, benchmarkEquity, periodsPerYear);
  let trades: Trade[] | undefined;
  return {
    equity,
    position,
    benchmarkEquity,
    // Built on first read by replaying the (pure, deterministic) simulation with a trade log; see trade-log.ts. An
    // enumerable getter, so spreading and JSON.stringify still see it.
    get trades(): Trade[] {
      if (trades === undefined) {
        const log = createTradeLog();
        simulate(bars, signals.signals, signals.confidence, settings, new Float64Array(n), new Int8Array(n), log);
        trades = tradesOf(log, timestamps);
      }
      return trades;
    },
    metrics,
    benchmark,
    settings,
  };
}
