import { describe, expect, it } from 'vitest';
import { DEFAULT_BACKTEST_SETTINGS, runBacktest, type BacktestBars, type BacktestMode } from '../../src/backtest/engine.js';
import { KtrdrError } from '../../src/errors.js';
import { LABEL_BUY, LABEL_HOLD, LABEL_SELL } from '../../src/labels/label-classes.js';
import { SeededRandom } from '../../src/util/random.js';

const B = LABEL_BUY;
const H = LABEL_HOLD;
const S = LABEL_SELL;
const DAY_MS = 86_400_000;

function bars(open: number[], close: number[] = open): BacktestBars {
  return {
    timestamps: Float64Array.from(open, (_, i) => Date.UTC(2024, 0, 1) + i * DAY_MS),
    open: Float64Array.from(open),
    close: Float64Array.from(close),
  };
}

function signals(...codes: number[]): { signals: Uint8Array } {
  return { signals: Uint8Array.from(codes) };
}

function expectCloseArray(actual: Float64Array, expected: number[]): void {
  expect(actual.length).toBe(expected.length);
  actual.forEach((value, i) => expect(value, `index ${i}`).toBeCloseTo(expected[i], 12));
}

describe('runBacktest rules (hand-computed)', () => {
  it('should fill a signal at the next bar open, never on its own bar', () => {
    const result = runBacktest(bars([10, 11, 12, 13], [10.5, 11.5, 12.5, 13.5]), signals(B, H, H, H));
    expect([...result.position]).toEqual([0, 1, 1, 1]);
    expectCloseArray(result.equity, [1, 11.5 / 11, 12.5 / 11, 13.5 / 11]);
    expect(result.trades).toHaveLength(1);
    const [trade] = result.trades;
    expect(trade).toMatchObject({ side: 'long', entryIndex: 1, exitIndex: 3, entryPrice: 11, exitPrice: 13.5, barsHeld: 3, openAtEnd: true });
    expect(trade.entryTime).toBe(Date.UTC(2024, 0, 2));
    expect(trade.pnl).toBeCloseTo(13.5 / 11 - 1, 12);
  });

  it('should reverse a long into a short at one open (longShort)', () => {
    const result = runBacktest(bars([10, 10, 12, 8, 8], [10, 11, 12, 9, 8]), signals(B, H, S, H, H), { mode: 'longShort' });
    expect([...result.position]).toEqual([0, 1, 1, -1, -1]);
    // Long 0.1 units from 10 to 8 leaves 0.8; short 0.1 units at 8, marked at 9 then covered at 8.
    expectCloseArray(result.equity, [1, 1.1, 1.2, 0.7, 0.8]);
    const [long, short] = result.trades;
    expect(long).toMatchObject({ side: 'long', entryIndex: 1, exitIndex: 3, barsHeld: 2, openAtEnd: false });
    expect(long.pnl).toBeCloseTo(-0.2, 12);
    expect(long.returnPct).toBeCloseTo(-0.2, 12);
    expect(short).toMatchObject({ side: 'short', entryIndex: 3, exitIndex: 4, barsHeld: 2, openAtEnd: true });
    expect(short.pnl).toBeCloseTo(0, 12);
  });

  it('should exit to flat on SELL in longOnly mode', () => {
    const result = runBacktest(bars([10, 10, 12, 8, 8], [10, 11, 12, 9, 8]), signals(B, H, S, H, H));
    expect([...result.position]).toEqual([0, 1, 1, 0, 0]);
    expectCloseArray(result.equity, [1, 1.1, 1.2, 0.8, 0.8]);
    expect(result.trades).toHaveLength(1);
  });

  it('should charge the fee on both sides, the entry fee inside the committed capital', () => {
    const result = runBacktest(bars([100, 100, 100]), signals(B, S, H), { feeBps: 100 });
    expectCloseArray(result.equity, [1, 1 / 1.01, 0.99 / 1.01]);
    expect(result.trades[0].fees).toBeCloseTo(0.02 / 1.01, 12);
    expect(result.trades[0].pnl).toBeCloseTo(0.99 / 1.01 - 1, 12);
    expect(result.metrics.feesPaid).toBeCloseTo(0.02 / 1.01, 12);
    expect(result.metrics.turnover).toBeCloseTo(2 / 1.01 / ((1 + 1 / 1.01 + 0.99 / 1.01) / 3), 12);
  });

  it('should fill buys above and sells below the open by the slippage', () => {
    const long = runBacktest(bars([100, 100, 100]), signals(B, S, H), { slippageBps: 100 });
    expect(long.trades[0].entryPrice).toBeCloseTo(101, 12);
    expect(long.trades[0].exitPrice).toBeCloseTo(99, 12);
    expectCloseArray(long.equity, [1, 100 / 101, 99 / 101]);
    // Short at 99, covered at 101 and reversed long at 101, closed at the last close less slippage (99).
    const short = runBacktest(bars([100, 100, 100]), signals(S, B, H), { mode: 'longShort', slippageBps: 100 });
    expectCloseArray(short.equity, [1, 98 / 99, 97 / 101]);
    expect(short.trades.map((trade) => trade.side)).toEqual(['short', 'long']);
  });

  it('should treat a signal below the confidence threshold as HOLD', () => {
    const input = bars([10, 11, 12, 13, 14]);
    const confident = { signals: Uint8Array.from([B, B, H, S, H]), confidence: Float64Array.from([0.5, 0.7, 0.9, 0.55, 0.9]) };
    const filtered = runBacktest(input, confident, { confidenceThreshold: 0.6 });
    expect([...filtered.position]).toEqual([0, 0, 1, 1, 1]);
    expect(filtered.trades[0]).toMatchObject({ entryIndex: 2, openAtEnd: true });
    const unfiltered = runBacktest(input, confident);
    expect([...unfiltered.position]).toEqual([0, 1, 1, 1, 0]);
  });

  it('should close a trade still open at the end at the last close, with fee and slippage', () => {
    const result = runBacktest(bars([100, 100, 100], [100, 100, 110]), signals(B, H, H), { feeBps: 100, slippageBps: 100 });
    const units = 1 / 1.01 / 101;
    const final = units * 110 * 0.99 * 0.99;
    expect(result.equity[2]).toBeCloseTo(final, 12);
    expect(result.trades[0]).toMatchObject({ openAtEnd: true, exitIndex: 2, barsHeld: 2 });
    expect(result.trades[0].exitPrice).toBeCloseTo(110 * 0.99, 12);
    expect(result.metrics.totalReturn).toBeCloseTo(final - 1, 12);
  });

  it('should keep equity constant and trade nothing when every signal is HOLD', () => {
    const result = runBacktest(bars([10, 12, 9, 11]), signals(H, H, H, H), { initialCapital: 1000 });
    expect([...result.equity]).toEqual([1000, 1000, 1000, 1000]);
    expect(result.trades).toEqual([]);
    expect(result.metrics).toMatchObject({
      totalReturn: 0,
      cagr: 0,
      volatility: 0,
      sharpe: null,
      sortino: null,
      maxDrawdown: 0,
      calmar: null,
      trades: 0,
      winRate: null,
      profitFactor: null,
      averageTradeReturn: null,
      averageBarsHeld: null,
      exposure: 0,
      turnover: 0,
      feesPaid: 0,
    });
  });

  it("should never execute the last bar's signal", () => {
    const result = runBacktest(bars([10, 12, 9, 11]), signals(H, H, H, B), { mode: 'longShort' });
    expect(result.trades).toEqual([]);
    expect([...result.position]).toEqual([0, 0, 0, 0]);
  });

  it('should invest only the position fraction and keep the rest as cash', () => {
    const result = runBacktest(bars([10, 10], [10, 12]), signals(B, H), { positionFraction: 0.5 });
    // 0.5 in cash + 0.05 units at 12, closed at the end at 12.
    expectCloseArray(result.equity, [1, 1.1]);
    expect(result.trades[0].returnPct).toBeCloseTo(0.2, 12);
  });

  it('should use the defaults for settings not given and report only the settings', () => {
    const result = runBacktest(bars([10, 11]), signals(H, H), { feeBps: 2, slippageBps: undefined });
    expect(result.settings).toEqual({ ...DEFAULT_BACKTEST_SETTINGS, feeBps: 2 });
    const withExtra = { periodsPerYear: 12, symbol: 'EURUSD' };
    expect(runBacktest(bars([10, 11]), signals(H, H), withExtra).settings).toEqual({ ...DEFAULT_BACKTEST_SETTINGS, periodsPerYear: 12 });
  });

  it('should measure buy-and-hold from the first possible fill: bar 1 open, no costs', () => {
    const input = bars([10, 11, 9, 12, 13], [10.5, 10, 9.5, 12.5, 14]);
    const result = runBacktest(input, signals(H, H, H, H, H), { feeBps: 10, slippageBps: 10 });
    const hold = runBacktest(input, signals(B, H, H, H, H));
    const { trades: _t, winRate: _w, profitFactor: _p, averageTradeReturn: _a, averageBarsHeld: _b, ...holdRisk } = hold.metrics;
    const { periodsPerYear: _y, exposure: _e, turnover: _u, feesPaid: _f, ...benchmarkShape } = holdRisk;
    expect(result.benchmark).toEqual(benchmarkShape);
    expect(result.benchmark.totalReturn).toBeCloseTo(14 / 11 - 1, 12);
  });
});

describe('runBacktest validation', () => {
  const input = bars([10, 11, 12]);
  const codes = signals(H, H, H);
  it.each([
    [{ feeBps: -1 }],
    [{ feeBps: 1001 }],
    [{ slippageBps: Number.NaN }],
    [{ positionFraction: 0 }],
    [{ positionFraction: 1.5 }],
    [{ confidenceThreshold: 1.1 }],
    [{ initialCapital: 0 }],
    [{ periodsPerYear: -5 }],
    [{ mode: 'long_only' as BacktestMode }],
  ])('should refuse %o with VALIDATION_FAILED', (settings) => {
    expect(() => runBacktest(input, codes, settings)).toThrow(expect.objectContaining({ code: 'VALIDATION_FAILED' }));
  });

  it('should refuse mismatched lengths, fewer than 2 bars, bad prices, unsorted time and unknown classes', () => {
    const cases: [BacktestBars, Uint8Array][] = [
      [input, Uint8Array.from([H, H])],
      [bars([10]), Uint8Array.from([H])],
      [bars([10, 0, 12]), Uint8Array.from([H, H, H])],
      [bars([10, Number.NaN, 12]), Uint8Array.from([H, H, H])],
      [{ ...input, timestamps: Float64Array.from([3, 2, 4]) }, Uint8Array.from([H, H, H])],
      [input, Uint8Array.from([H, 3, H])],
    ];
    for (const [barsIn, codesIn] of cases) {
      let caught: unknown;
      try {
        runBacktest(barsIn, { signals: codesIn });
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(KtrdrError);
      expect((caught as KtrdrError).code).toBe('VALIDATION_FAILED');
    }
  });

  it('should refuse a confidence threshold without confidences', () => {
    expect(() => runBacktest(input, codes, { confidenceThreshold: 0.5 })).toThrow(/confidence/);
  });
});

interface NaiveCase {
  open: number[];
  close: number[];
  codes: number[];
  confidence: number[];
  mode: BacktestMode;
  feeBps: number;
  slippageBps: number;
  positionFraction: number;
  confidenceThreshold: number;
}

/**
 * A deliberately plain re-statement of the rules, written for this test only: it keeps long and short share counts
 * separately, decides each bar's trade by looking back at the previous bar's signal, and sizes from a recomputed
 * equity instead of the engine's running cash/units state.
 */
function naiveEquity(c: NaiveCase): number[] {
  const fee = c.feeBps / 10_000;
  const slip = c.slippageBps / 10_000;
  let cash = 1;
  let longShares = 0;
  let shortShares = 0;
  const out: number[] = [];
  for (let bar = 0; bar < c.open.length; bar++) {
    let current: 'flat' | 'long' | 'short' = longShares > 0 ? 'long' : shortShares > 0 ? 'short' : 'flat';
    if (bar > 0) {
      const previous = c.codes[bar - 1];
      const confident = c.confidence[bar - 1] >= c.confidenceThreshold;
      let wanted = current;
      if (confident && previous === LABEL_BUY) wanted = 'long';
      if (confident && previous === LABEL_SELL) wanted = c.mode === 'longShort' ? 'short' : 'flat';
      if (wanted !== current) {
        const buyPrice = c.open[bar] + c.open[bar] * slip;
        const sellPrice = c.open[bar] - c.open[bar] * slip;
        if (current === 'long') {
          cash = cash + longShares * sellPrice - longShares * sellPrice * fee;
          longShares = 0;
        } else if (current === 'short') {
          cash = cash - shortShares * buyPrice - shortShares * buyPrice * fee;
          shortShares = 0;
        }
        const budget = cash * c.positionFraction;
        if (cash > 0 && wanted === 'long') {
          longShares = budget / (buyPrice * (1 + fee));
          cash = cash - budget;
        } else if (cash > 0 && wanted === 'short') {
          shortShares = budget / (sellPrice * (1 + fee));
          cash = cash + shortShares * sellPrice - shortShares * sellPrice * fee;
        }
        current = wanted;
      }
    }
    out.push(cash + longShares * c.close[bar] - shortShares * c.close[bar]);
  }
  const last = c.close[c.close.length - 1];
  if (longShares > 0) out[out.length - 1] = cash + longShares * last * (1 - slip) * (1 - fee);
  if (shortShares > 0) out[out.length - 1] = cash - shortShares * last * (1 + slip) * (1 + fee);
  return out;
}

function randomCase(random: SeededRandom): NaiveCase {
  const n = 2 + random.nextInt(60);
  const open: number[] = [];
  const close: number[] = [];
  let price = 50 + 100 * random.next();
  for (let i = 0; i < n; i++) {
    open.push(price * (1 + 0.01 * random.nextGaussian()));
    price = open[i] * (1 + 0.03 * random.nextGaussian());
    close.push(price);
  }
  const codes = Array.from({ length: n }, () => random.nextInt(3));
  const confidence = Array.from({ length: n }, () => random.next());
  const zeroOr = (value: number) => (random.next() < 0.3 ? 0 : value);
  return {
    open,
    close,
    codes,
    confidence,
    mode: random.next() < 0.5 ? 'longOnly' : 'longShort',
    feeBps: zeroOr(50 * random.next()),
    slippageBps: zeroOr(50 * random.next()),
    positionFraction: random.next() < 0.5 ? 1 : 0.1 + 0.9 * random.next(),
    confidenceThreshold: zeroOr(0.6 * random.next()),
  };
}

function runCase(c: NaiveCase) {
  return runBacktest(bars(c.open, c.close), { signals: Uint8Array.from(c.codes), confidence: Float64Array.from(c.confidence) }, c);
}

describe('runBacktest against an independent naive loop', () => {
  it('should give the same equity on 1,000 random signal series', () => {
    const random = new SeededRandom(7);
    for (let run = 0; run < 1000; run++) {
      const c = randomCase(random);
      const engine = runCase(c).equity;
      const naive = naiveEquity(c);
      for (let i = 0; i < naive.length; i++) {
        const tolerance = 1e-9 * Math.max(1, Math.abs(naive[i]));
        if (!(Math.abs(engine[i] - naive[i]) <= tolerance)) {
          expect.fail(`run ${run}, bar ${i}: engine ${engine[i]} vs naive ${naive[i]} (${JSON.stringify(c)})`);
        }
      }
    }
  });
});

describe('runBacktest has no look-ahead', () => {
  it('should keep equity up to bar t unchanged whatever happens after t', () => {
    const random = new SeededRandom(11);
    for (let run = 0; run < 300; run++) {
      const c = randomCase(random);
      const n = c.open.length;
      if (n < 3) continue;
      const t = random.nextInt(n - 2); // leaves at least one bar after t to change, and t < n - 1 (not the liquidation bar)
      const before = runCase(c).equity;
      const changed: NaiveCase = {
        ...c,
        open: c.open.map((value, i) => (i > t ? value * (0.5 + random.next()) : value)),
        close: c.close.map((value, i) => (i > t ? value * (0.5 + random.next()) : value)),
        codes: c.codes.map((value, i) => (i > t ? random.nextInt(3) : value)),
        confidence: c.confidence.map((value, i) => (i > t ? random.next() : value)),
      };
      const after = runCase(changed).equity;
      expect([...after.subarray(0, t + 1)], `run ${run}, t ${t}`).toEqual([...before.subarray(0, t + 1)]);
    }
  });
});

describe('runBacktest trade figures', () => {
  it('should agree with the trade list it reports', () => {
    const random = new SeededRandom(5);
    for (let run = 0; run < 50; run++) {
      const c = randomCase(random);
      const result = runCase(c);
      const { trades, metrics } = result;
      expect(metrics.trades).toBe(trades.length);
      if (trades.length === 0) continue;
      const pnl = trades.map((trade) => trade.pnl);
      const losses = -pnl.filter((value) => value < 0).reduce((a, b) => a + b, 0);
      expect(metrics.winRate).toBeCloseTo(pnl.filter((value) => value > 0).length / trades.length, 12);
      expect(metrics.profitFactor).toBe(losses > 0 ? metrics.profitFactor : null);
      if (losses > 0) expect(metrics.profitFactor).toBeCloseTo(pnl.filter((value) => value > 0).reduce((a, b) => a + b, 0) / losses, 9);
      expect(metrics.averageTradeReturn).toBeCloseTo(trades.reduce((sum, trade) => sum + trade.returnPct, 0) / trades.length, 12);
      expect(metrics.feesPaid).toBeCloseTo(
        trades.reduce((sum, trade) => sum + trade.fees, 0),
        12,
      );
      // Every held bar belongs to exactly one trade.
      const held = result.position.reduce((sum, side) => sum + (side !== 0 ? 1 : 0), 0);
      expect(trades.reduce((sum, trade) => sum + trade.barsHeld, 0)).toBe(held);
      expect(metrics.exposure).toBeCloseTo(held / c.open.length, 12);
      expect(trades.filter((trade) => trade.openAtEnd).length).toBe(result.position[c.open.length - 1] !== 0 ? 1 : 0);
    }
  });

  it('should serialise trades like a plain property', () => {
    const result = runBacktest(bars([10, 11, 12]), signals(B, H, H));
    const json = JSON.parse(JSON.stringify(result)) as { trades: unknown[] };
    expect(json.trades).toHaveLength(1);
    expect({ ...result }.trades).toBe(result.trades);
  });
});
