import type { OhlcvSeries } from '../data/ohlcv.js';
import { cusumEvents } from './cusum-filter.js';
import { CLASS_NAMES } from './label-classes.js';
import type { LabelSet } from './label-set.js';
import { invalidLabelParams, requireBars, requireNonZeroCloses } from './label-params.js';
import { uniquenessWeights } from './uniqueness-weights.js';
import { ewmMean, ewmStd } from '../indicators/pandas-ewm.js';
import { logReturns } from './volatility.js';

/** `atr`: EWM mean of (H − L)/C. `log_return_std`: EWM std of log returns (the original's fallback for any other value). */
export type BarrierVolatility = 'atr' | 'log_return_std';

export interface TripleBarrierOptions {
  /** Upper (profit-taking) barrier = C·(1 + pt·vol). */
  readonly ptMultiplier: number;
  /** Lower (stop-loss) barrier = C·(1 − sl·vol). */
  readonly slMultiplier: number;
  /** The vertical barrier M: bars a position is held at most. */
  readonly maxHoldingPeriod: number;
  /** EWM span of the volatility estimate. */
  readonly volSpan: number;
  readonly volMethod: BarrierVolatility;
  /** Keep only CUSUM event bars (features and labels both). */
  readonly cusum?: { readonly threshold: number; readonly multiplier: number };
  /** Attach average-uniqueness weights (see uniquenessWeights). */
  readonly computeWeights: boolean;
}

/** The class of each barrier outcome, in the trading order BUY 0, HOLD 1, SELL 2 (upper +1, time-out 0, lower −1). */
const UPPER = 0;
const TIMEOUT = 1;
const LOWER = 2;

/**
 * Triple-barrier labels, as the original computes them. For each bar t < n − M (later bars cannot see M bars ahead
 * and stay unlabelled):
 * - upper = C[t]·(1 + pt·vol[t]), lower = C[t]·(1 − sl·vol[t]);
 * - scan dt = 1…M for the first bar touching a barrier: both on one bar → BUY when C[t+dt] ≥ C[t], else SELL; only
 *   the high reaching upper (H ≥ upper) → BUY; only the low reaching lower (L ≤ lower) → SELL; hold = dt;
 * - no touch: ret = C[t+M]/C[t] − 1 is HOLD when |ret| < vol[t]·√M·0.5, else BUY or SELL by its sign; hold = M.
 * Volatility: the first min(vol_span, n − 1) values that are NaN or 0 are replaced by the first valid one (0.01 when
 * there is none), so early bars get barriers too. The original requires n ≥ M + vol_span bars.
 *
 * Deviations from the original (its defects): the CUSUM filter removes the non-event bars' labels *and* their feature
 * rows (the pipeline drops unlabelled rows), where the original kept all features; each label records its real
 * holding period (`lastBarRead` = t + hold), so purging uses it instead of M for every sample.
 */
export function tripleBarrierLabels(series: OhlcvSeries, options: TripleBarrierOptions): LabelSet {
  checkOptions(options);
  const { ptMultiplier, slMultiplier, maxHoldingPeriod: m, volSpan } = options;
  requireBars('triple_barrier', series, m + volSpan);
  const { high, low, close } = series;
  requireNonZeroCloses('triple_barrier', close);
  const n = close.length;
  const returns = logReturns(close);
  const vol = barrierVolatility(series, returns, options.volMethod, volSpan);

  const values = new Float64Array(n).fill(NaN);
  const lastBarRead = new Int32Array(n).fill(-1);
  const hold = new Int32Array(n);
  const events = options.cusum ? cusumEvents(returns, { ...options.cusum, span: volSpan }).events : undefined;
  let filtered = 0;
  for (let t = 0; t < n - m; t++) {
    if (events && !events[t]) {
      filtered++;
      continue;
    }
    const upper = close[t] * (1 + ptMultiplier * vol[t]);
    const lower = close[t] * (1 - slMultiplier * vol[t]);
    let label = -1;
    let held = m;
    for (let dt = 1; dt <= m; dt++) {
      const hitUpper = high[t + dt] >= upper;
      const hitLower = low[t + dt] <= lower;
      if (!hitUpper && !hitLower) continue;
      label = hitUpper && hitLower ? (close[t + dt] >= close[t] ? UPPER : LOWER) : hitUpper ? UPPER : LOWER;
      held = dt;
      break;
    }
    if (label < 0) {
      const ret = close[t + m] / close[t] - 1;
      label = Math.abs(ret) < vol[t] * Math.sqrt(m) * 0.5 ? TIMEOUT : ret > 0 ? UPPER : LOWER;
    }
    values[t] = label;
    hold[t] = held;
    lastBarRead[t] = t + held;
  }
  return {
    classes: CLASS_NAMES,
    values,
    lastBarRead,
    ...(options.computeWeights && { weights: uniquenessWeights(hold) }),
    unlabelled: { beyondData: Math.min(m, n), filtered },
  };
}

function checkOptions(options: TripleBarrierOptions): void {
  const positive = { pt_multiplier: options.ptMultiplier, sl_multiplier: options.slMultiplier };
  for (const [key, value] of Object.entries(positive)) {
    if (!(value > 0 && Number.isFinite(value))) throw invalidLabelParams('triple_barrier', `${key} must be > 0, got ${value}`, { [key]: value });
  }
  const counts = { max_holding_period: options.maxHoldingPeriod, vol_span: options.volSpan };
  for (const [key, value] of Object.entries(counts)) {
    if (!Number.isInteger(value) || value < 1)
      throw invalidLabelParams('triple_barrier', `${key} must be an integer ≥ 1, got ${value}`, { [key]: value });
  }
}

/** Per-bar volatility as a fraction of price, with the warm-up gap filled as the original fills it. */
export function barrierVolatility(series: OhlcvSeries, returns: Float64Array, method: BarrierVolatility, span: number): Float64Array {
  const n = series.close.length;
  let vol: Float64Array;
  if (method === 'atr') {
    const range = new Float64Array(n);
    for (let i = 0; i < n; i++) range[i] = (series.high[i] - series.low[i]) / series.close[i];
    vol = ewmMean(range, span);
  } else {
    vol = ewmStd(returns, span);
  }
  const usable = (v: number) => !Number.isNaN(v) && v !== 0;
  const firstValid = vol.findIndex(usable);
  const fill = firstValid >= 0 ? vol[firstValid] : 0.01;
  const head = Math.min(span, n - 1);
  for (let i = 0; i < head; i++) if (!usable(vol[i])) vol[i] = fill;
  return vol;
}
