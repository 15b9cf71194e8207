/**
 * The trade list, recorded column-wise. A random signal series over a million bars makes hundreds of thousands of
 * trades; recording them costs more than the whole simulation (as objects: allocation and garbage-collector copying;
 * as columns, still about three times the bar loop), so the engine sums the trade metrics in scalars and records the
 * list only when `result.trades` is read, by replaying the simulation with a log.
 */
import type { Trade } from './engine.js';

export interface TradeLog {
  count: number;
  /** 1 long, -1 short. */
  side: Int8Array;
  entryIndex: Int32Array;
  exitIndex: Int32Array;
  entryPrice: Float64Array;
  exitPrice: Float64Array;
  pnl: Float64Array;
  returnPct: Float64Array;
  fees: Float64Array;
  barsHeld: Int32Array;
  /** Only the last trade can still be open after the last bar. */
  lastOpenAtEnd: boolean;
}

export function createTradeLog(capacity = 1024): TradeLog {
  return {
    count: 0,
    side: new Int8Array(capacity),
    entryIndex: new Int32Array(capacity),
    exitIndex: new Int32Array(capacity),
    entryPrice: new Float64Array(capacity),
    exitPrice: new Float64Array(capacity),
    pnl: new Float64Array(capacity),
    returnPct: new Float64Array(capacity),
    fees: new Float64Array(capacity),
    barsHeld: new Int32Array(capacity),
    lastOpenAtEnd: false,
  };
}

function grown<T extends Int8Array | Int32Array | Float64Array>(array: T, make: (length: number) => T): T {
  const next = make(array.length * 2);
  next.set(array);
  return next;
}

export function recordTrade(
  log: TradeLog,
  side: number,
  entryIndex: number,
  exitIndex: number,
  entryPrice: number,
  exitPrice: number,
  pnl: number,
  returnPct: number,
  fees: number,
  barsHeld: number,
  openAtEnd: boolean,
): void {
  if (log.count === log.side.length) growTradeLog(log);
  const k = log.count++;
  log.side[k] = side;
  log.entryIndex[k] = entryIndex;
  log.exitIndex[k] = exitIndex;
  log.entryPrice[k] = entryPrice;
  log.exitPrice[k] = exitPrice;
  log.pnl[k] = pnl;
  log.returnPct[k] = returnPct;
  log.fees[k] = fees;
  log.barsHeld[k] = barsHeld;
  log.lastOpenAtEnd = openAtEnd;
}

/** Doubles every column; called by the engine when `count` reaches the capacity. */
function growTradeLog(log: TradeLog): void {
  log.side = grown(log.side, (length) => new Int8Array(length));
  log.entryIndex = grown(log.entryIndex, (length) => new Int32Array(length));
  log.exitIndex = grown(log.exitIndex, (length) => new Int32Array(length));
  log.entryPrice = grown(log.entryPrice, (length) => new Float64Array(length));
  log.exitPrice = grown(log.exitPrice, (length) => new Float64Array(length));
  log.pnl = grown(log.pnl, (length) => new Float64Array(length));
  log.returnPct = grown(log.returnPct, (length) => new Float64Array(length));
  log.fees = grown(log.fees, (length) => new Float64Array(length));
  log.barsHeld = grown(log.barsHeld, (length) => new Int32Array(length));
}

export function tradesOf(log: TradeLog, timestamps: Float64Array): Trade[] {
  const trades = new Array<Trade>(log.count);
  for (let k = 0; k < log.count; k++) {
    const entryIndex = log.entryIndex[k];
    const exitIndex = log.exitIndex[k];
    trades[k] = {
      side: log.side[k] > 0 ? 'long' : 'short',
      entryIndex,
      exitIndex,
      entryTime: timestamps[entryIndex],
      exitTime: timestamps[exitIndex],
      entryPrice: log.entryPrice[k],
      exitPrice: log.exitPrice[k],
      returnPct: log.returnPct[k],
      pnl: log.pnl[k],
      fees: log.fees[k],
      barsHeld: log.barsHeld[k],
      openAtEnd: log.lastOpenAtEnd && k === log.count - 1,
    };
  }
  return trades;
}
