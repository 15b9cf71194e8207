import type { OhlcvSeries } from '../../src/data/ohlcv.js';
import { SeededRandom } from '../../src/util/random.js';

export interface Bars {
  close: readonly number[];
  high?: readonly number[];
  low?: readonly number[];
  open?: readonly number[];
  volume?: readonly number[];
}

/** A series from plain arrays; missing columns default to the close (prices) or 1000 (volume). */
export function seriesFrom(bars: Bars): OhlcvSeries {
  const n = bars.close.length;
  const column = (values: readonly number[] | undefined, fallback: (i: number) => number) =>
    Float64Array.from({ length: n }, (_, i) => (values ? values[i] : fallback(i)));
  return {
    symbol: 'TEST',
    timeframe: '1d',
    timestamps: Float64Array.from({ length: n }, (_, i) => Date.UTC(2024, 0, 1) + i * 86_400_000),
    open: column(bars.open, (i) => bars.close[i]),
    high: column(bars.high, (i) => bars.close[i]),
    low: column(bars.low, (i) => bars.close[i]),
    close: column(bars.close, (i) => bars.close[i]),
    volume: column(bars.volume, () => 1000),
  };
}

/** Every bar identical: the flat-window case every range-based indicator has to decide on. */
export function flatSeries(length: number, price = 10, volume = 1000): OhlcvSeries {
  return seriesFrom({ close: Array<number>(length).fill(price), volume: Array<number>(length).fill(volume) });
}

/** A deterministic random walk with consistent OHLC (high ≥ max(open, close), low ≤ min(open, close)). */
export function randomWalk(length: number, seed = 7, volatility = 0.01): OhlcvSeries {
  const random = new SeededRandom(seed);
  const open: number[] = [];
  const high: number[] = [];
  const low: number[] = [];
  const close: number[] = [];
  const volume: number[] = [];
  let price = 100;
  for (let i = 0; i < length; i++) {
    const start = price;
    price *= Math.exp(volatility * random.nextGaussian());
    open.push(start);
    close.push(price);
    high.push(Math.max(start, price) * (1 + 0.004 * random.next()));
    low.push(Math.min(start, price) * (1 - 0.004 * random.next()));
    volume.push(1000 + random.nextInt(5000));
  }
  return seriesFrom({ open, high, low, close, volume });
}

/** Rounds to cents, so ties and exact threshold moves happen as they do in real two-decimal data. */
export function roundedWalk(length: number, seed = 11): OhlcvSeries {
  const walk = randomWalk(length, seed, 0.02);
  const cents = (values: Float64Array) => Array.from(values, (v) => Math.round(v * 100) / 100);
  return seriesFrom({
    open: cents(walk.open),
    high: cents(walk.high),
    low: cents(walk.low),
    close: cents(walk.close),
    volume: Array.from(walk.volume),
  });
}
