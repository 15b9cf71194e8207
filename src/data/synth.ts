import { KtrdrError } from '../errors.js';
import { SeededRandom } from '../util/random.js';
import { assertSymbol } from './names.js';
import type { OhlcvSeries } from './ohlcv.js';
import { parseTimestamp } from './timestamp.js';
import { timeframeMs } from './timeframe.js';

/**
 * Seeded synthetic FX-like bars for tests, demos and offline multi-timeframe examples.
 *
 * Model: a geometric random walk whose drift and volatility come from a hidden Markov regime (calm, trending up,
 * trending down, volatile), with slow volatility clustering and an intraday session profile (quiet Asia, busy London /
 * New York overlap). Opens equal the previous close, except across weekends, where a small gap is drawn. Wicks extend
 * beyond the body, so high >= max(open, close) and low <= min(open, close) hold by construction, and rounding prices to
 * `decimals` keeps them (rounding is monotonic). Volume is a positive integer that rises with activity and |return|.
 *
 * Weekends are skipped: no bar opens on a Saturday or Sunday (UTC), as in FX markets, so daily resamples have
 * Monday..Friday bars and hourly data has the gaps real data has. The same options and seed always give the same bars.
 */
export interface SynthOptions {
  readonly symbol: string;
  /** Timeframe of the generated bars; the walk is scaled by sqrt(bar hours), so any m/h/d timeframe works. */
  readonly timeframe: string;
  readonly bars: number;
  readonly seed: number;
  /** Open time of the first bar. @defaultValue '2018-01-01T00:00:00Z' (a Monday) */
  readonly start?: string;
  /** @defaultValue 1.1 */
  readonly startPrice?: number;
  /** Price decimals (5 = FX pipettes). @defaultValue 5 */
  readonly decimals?: number;
}

interface Regime {
  /** Log-return drift per hour. */
  readonly drift: number;
  /** Log-return volatility per sqrt(hour). */
  readonly vol: number;
}

const REGIMES: readonly Regime[] = [
  { drift: 0, vol: 0.0005 }, // calm range
  { drift: 0.00003, vol: 0.0008 }, // trending up
  { drift: -0.00003, vol: 0.0008 }, // trending down
  { drift: 0, vol: 0.0016 }, // volatile
];
/** Chance per hour of leaving the current regime: regimes last about two trading weeks on average. */
const REGIME_SWITCH_PER_HOUR = 1 / 250;
const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

/** Relative activity by UTC hour: Asia quiet, London busy, London/New York overlap busiest. */
function sessionActivity(hourUtc: number): number {
  if (hourUtc < 7) return 0.6;
  if (hourUtc < 13) return 1.2;
  if (hourUtc < 17) return 1.5;
  if (hourUtc < 22) return 1.0;
  return 0.7;
}

function isWeekend(timestamp: number): boolean {
  const weekday = (Math.floor(timestamp / DAY_MS) + 4) % 7; // 0 = Sunday; 1970-01-01 was a Thursday
  return weekday === 0 || weekday === 6;
}

export function generateSyntheticSeries(options: SynthOptions): OhlcvSeries {
  const { symbol, timeframe, bars, seed } = options;
  assertSymbol(symbol);
  const durationMs = timeframeMs(timeframe);
  if (durationMs > DAY_MS) throw new KtrdrError('VALIDATION_FAILED', `synthetic data is generated at ${timeframe}; use 1d or shorter and resample up`);
  if (!Number.isInteger(bars) || bars < 1) throw new KtrdrError('VALIDATION_FAILED', `bars must be a positive integer, got ${bars}`);
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) throw new KtrdrError('VALIDATION_FAILED', `seed must be an integer in 0..4294967295, got ${seed}`);
  const startText = options.start ?? '2018-01-01T00:00:00Z';
  let t = parseTimestamp(startText);
  if (Number.isNaN(t)) throw new KtrdrError('VALIDATION_FAILED', `invalid start '${startText}': expected an ISO date or date-time`);
  const decimals = options.decimals ?? 5;
  const scale = 10 ** decimals;
  const round = (x: number): number => Math.round(x * scale) / scale;

  const random = new SeededRandom(seed);
  const hours = durationMs / HOUR_MS;
  const daily = durationMs >= DAY_MS;
  const timestamps = new Float64Array(bars);
  const open = new Float64Array(bars);
  const high = new Float64Array(bars);
  const low = new Float64Array(bars);
  const close = new Float64Array(bars);
  const volume = new Float64Array(bars);

  let regime = REGIMES[0];
  let cluster = 0;
  let previousClose = round(options.startPrice ?? 1.1);
  let previousTime = NaN;
  for (let i = 0; i < bars; i++) {
    while (isWeekend(t)) t += durationMs;
    if (random.next() < 1 - Math.pow(1 - REGIME_SWITCH_PER_HOUR, hours)) regime = REGIMES[random.nextInt(REGIMES.length)];
    cluster = 0.98 * cluster + 0.06 * random.nextGaussian();
    const activity = daily ? 1 : sessionActivity(new Date(t).getUTCHours());
    const sigma = regime.vol * activity * Math.exp(cluster) * Math.sqrt(hours);

    let o = previousClose;
    const gapMs = t - previousTime;
    if (gapMs > durationMs) o = round(o * Math.exp(0.3 * regime.vol * Math.sqrt(gapMs / HOUR_MS / 24) * random.nextGaussian()));
    const z = random.nextGaussian();
    const c = round(o * Math.exp(regime.drift * hours + sigma * z));
    const h = round(Math.max(o, c) * Math.exp(0.6 * sigma * Math.abs(random.nextGaussian())));
    const l = round(Math.min(o, c) * Math.exp(-0.6 * sigma * Math.abs(random.nextGaussian())));
    const v = Math.max(1, Math.round(1000 * hours * activity * (0.5 + Math.abs(z)) * Math.exp(0.3 * random.nextGaussian())));

    timestamps[i] = t;
    open[i] = o;
    high[i] = h;
    low[i] = l;
    close[i] = c;
    volume[i] = v;
    previousClose = c;
    previousTime = t;
    t += durationMs;
  }
  return { symbol, timeframe, timestamps, open, high, low, close, volume };
}
