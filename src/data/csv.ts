import { KtrdrError } from '../errors.js';
import type { OhlcvSeries } from './ohlcv.js';
import { formatTimestamp, parseTimestampBytes } from './timestamp.js';

/**
 * The OHLCV CSV format: a header `timestamp,open,high,low,close,volume` (the first column may also be called `date`,
 * `datetime` or `time`; the other five may come in any order; names are case-insensitive), then one bar per line with
 * an ISO timestamp of the bar's open (no offset = UTC).
 *
 * Every row is checked and the first bad one is reported with its line number; nothing is repaired silently:
 * - every number parses and is finite; volume >= 0;
 * - high >= low, high >= max(open, close) and low <= min(open, close) — a bar whose open or close lies outside its
 *   own range is a broken bar, and indicators such as stochastic or ATR would quietly compute nonsense from it;
 * - timestamps strictly increase (duplicates and out-of-order rows are errors, never sorted or dropped);
 * - exactly six columns per row; blank lines only at the end of the file.
 *
 * Parsing works on the raw bytes with no per-row allocation, so a million rows take well under a second.
 */

const TIME_COLUMNS = ['timestamp', 'date', 'datetime', 'time'];
const VALUE_COLUMNS = ['open', 'high', 'low', 'close', 'volume'] as const;
type ValueColumn = (typeof VALUE_COLUMNS)[number];

const COMMA = 0x2c;
const LF = 0x0a;
const CR = 0x0d;
const SPACE = 0x20;
const TAB = 0x09;
const MINUS = 0x2d;
const PLUS = 0x2b;
const DOT = 0x2e;
const DIGIT_0 = 0x30;
const MAX_EXACT_MANTISSA = 2 ** 53;
/** 10^k for k <= 22 is exact in a double, so mantissa / 10^k is the correctly rounded value, identical to parseFloat. */
const POWERS_OF_TEN = Array.from({ length: 23 }, (_, k) => 10 ** k);
const DECIMAL_WITH_EXPONENT = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const latin1 = new TextDecoder('latin1');

export interface CsvSource {
  /** Shown in error messages. */
  readonly file: string;
  readonly symbol: string;
  readonly timeframe: string;
}

/** Parses a decimal number from `bytes[start, end)`; NaN when the text is not a plain decimal number. */
export function parseNumberBytes(bytes: Uint8Array, start: number, end: number): number {
  let i = start;
  let negative = false;
  if (i < end && (bytes[i] === MINUS || bytes[i] === PLUS)) {
    negative = bytes[i] === MINUS;
    i++;
  }
  let mantissa = 0;
  let digitCount = 0;
  let fractionDigits = 0;
  let seenDot = false;
  for (; i < end; i++) {
    const b = bytes[i];
    const d = b - DIGIT_0;
    if (d >= 0 && d <= 9) {
      mantissa = mantissa * 10 + d;
      digitCount++;
      if (seenDot) fractionDigits++;
    } else if (b === DOT && !seenDot) {
      seenDot = true;
    } else {
      break;
    }
  }
  if (i === end && digitCount > 0 && mantissa <= MAX_EXACT_MANTISSA && fractionDigits <= 22) {
    const value = fractionDigits === 0 ? mantissa : mantissa / POWERS_OF_TEN[fractionDigits];
    return negative ? -value : value;
  }
  // Rare forms (exponents, very long mantissas) go through the engine's parser, which is exact but allocates.
  const text = latin1.decode(bytes.subarray(start, end));
  return DECIMAL_WITH_EXPONENT.test(text) ? Number(text) : NaN;
}

function fail(source: CsvSource, line: number, message: string, extra: Record<string, unknown> = {}): never {
  throw new KtrdrError('DATA_INVALID', `${source.file}: line ${line}: ${message}`, {
    details: { file: source.file, line, ...extra },
    hint: 'fix or regenerate the file; ktrdr does not repair data silently',
  });
}

function parseHeader(text: string, source: CsvSource): ValueColumn[] {
  const names = text.split(',').map((name) => name.trim().toLowerCase());
  if (!TIME_COLUMNS.includes(names[0])) {
    fail(source, 1, `the first column must be the bar open time, named ${TIME_COLUMNS.join(' or ')}; header is '${text}'`);
  }
  const order: ValueColumn[] = [];
  for (const name of names.slice(1)) {
    if (!(VALUE_COLUMNS as readonly string[]).includes(name)) {
      fail(source, 1, `unexpected column '${name}' (expected timestamp,${VALUE_COLUMNS.join(',')}); header is '${text}'`);
    }
    if (order.includes(name as ValueColumn)) fail(source, 1, `duplicate column '${name}'`);
    order.push(name as ValueColumn);
  }
  const missing = VALUE_COLUMNS.filter((name) => !order.includes(name));
  if (missing.length > 0) fail(source, 1, `missing column${missing.length > 1 ? 's' : ''} ${missing.join(', ')}; header is '${text}'`);
  return order;
}

function isBlank(byte: number): boolean {
  return byte === SPACE || byte === TAB || byte === CR || byte === LF;
}

/** Parses and validates a whole OHLCV CSV file. Throws DATA_INVALID naming the file and line of the first bad row. */
export function parseOhlcvCsv(bytes: Uint8Array, source: CsvSource): OhlcvSeries {
  let pos = bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  const size = bytes.length;
  let headerEnd = bytes.indexOf(LF, pos);
  if (headerEnd < 0) headerEnd = size;
  const headerText = latin1.decode(bytes.subarray(pos, headerEnd)).replace(/\r$/, '');
  if (headerText.trim() === '') fail(source, 1, 'the file is empty; expected a header timestamp,open,high,low,close,volume');
  const order = parseHeader(headerText, source);

  let capacity = 0;
  for (let i = headerEnd; i < size; i++) if (bytes[i] === LF) capacity++;
  capacity++; // a last row without a trailing newline
  const timestamps = new Float64Array(capacity);
  const columns: Record<ValueColumn, Float64Array> = {
    open: new Float64Array(capacity),
    high: new Float64Array(capacity),
    low: new Float64Array(capacity),
    close: new Float64Array(capacity),
    volume: new Float64Array(capacity),
  };
  const targets = order.map((name) => columns[name]);
  const { open, high, low, close, volume } = columns;

  let n = 0;
  let line = 1;
  pos = headerEnd + 1;
  while (pos < size) {
    line++;
    let lineEnd = bytes.indexOf(LF, pos);
    if (lineEnd < 0) lineEnd = size;
    let contentEnd = lineEnd;
    if (contentEnd > pos && bytes[contentEnd - 1] === CR) contentEnd--;

    if (contentEnd === pos) {
      let rest = lineEnd;
      while (rest < size && isBlank(bytes[rest])) rest++;
      if (rest === size) break;
      fail(source, line, 'empty line in the middle of the data');
    }

    let fieldStart = pos;
    for (let column = 0; column < 6; column++) {
      let rawEnd = fieldStart;
      while (rawEnd < contentEnd && bytes[rawEnd] !== COMMA) rawEnd++;
      if (column < 5 && rawEnd === contentEnd) {
        fail(source, line, `expected 6 columns, got ${column + 1}`, { expected: 6, got: column + 1 });
      }
      if (column === 5 && rawEnd < contentEnd) {
        let count = 6;
        for (let i = rawEnd; i < contentEnd; i++) if (bytes[i] === COMMA) count++;
        fail(source, line, `expected 6 columns, got ${count}`, { expected: 6, got: count });
      }
      let s = fieldStart;
      let fieldEnd = rawEnd;
      while (s < fieldEnd && (bytes[s] === SPACE || bytes[s] === TAB)) s++;
      while (fieldEnd > s && (bytes[fieldEnd - 1] === SPACE || bytes[fieldEnd - 1] === TAB)) fieldEnd--;

      if (column === 0) {
        const ts = parseTimestampBytes(bytes, s, fieldEnd);
        if (Number.isNaN(ts)) {
          fail(source, line, `timestamp '${latin1.decode(bytes.subarray(s, fieldEnd))}' is not an ISO date or date-time`, { column: 'timestamp' });
        }
        timestamps[n] = ts;
      } else {
        const value = s === fieldEnd ? NaN : parseNumberBytes(bytes, s, fieldEnd);
        if (!Number.isFinite(value)) {
          const name = order[column - 1];
          fail(source, line, `${name} '${latin1.decode(bytes.subarray(s, fieldEnd))}' is not a finite number`, { column: name });
        }
        targets[column - 1][n] = value;
      }
      fieldStart = rawEnd + 1;
    }

    const o = open[n];
    const h = high[n];
    const l = low[n];
    const c = close[n];
    if (h < l) fail(source, line, `high ${h} is below low ${l}`, { column: 'high' });
    if (h < o || h < c) fail(source, line, `high ${h} is below max(open, close) ${Math.max(o, c)}`, { column: 'high' });
    if (l > o || l > c) fail(source, line, `low ${l} is above min(open, close) ${Math.min(o, c)}`, { column: 'low' });
    if (volume[n] < 0) fail(source, line, `volume ${volume[n]} is negative`, { column: 'volume' });
    if (n > 0) {
      const previous = timestamps[n - 1];
      if (timestamps[n] === previous) {
        fail(source, line, `duplicate timestamp ${formatTimestamp(previous)} (same as the row on line ${line - 1})`, { column: 'timestamp' });
      }
      if (timestamps[n] < previous) {
        fail(
          source,
          line,
          `timestamp ${formatTimestamp(timestamps[n])} is before the previous row's ${formatTimestamp(previous)}; rows must be in increasing time order`,
          { column: 'timestamp' },
        );
      }
    }
    n++;
    pos = lineEnd + 1;
  }
  if (n === 0) fail(source, 2, 'the file has a header but no data rows');

  return {
    symbol: source.symbol,
    timeframe: source.timeframe,
    timestamps: timestamps.subarray(0, n),
    open: open.subarray(0, n),
    high: high.subarray(0, n),
    low: low.subarray(0, n),
    close: close.subarray(0, n),
    volume: volume.subarray(0, n),
  };
}

/** Writes a series in the canonical format. Numbers use the shortest round-trip form, so parse(format(s)) === s. */
export function formatOhlcvCsv(series: OhlcvSeries): string {
  const { timestamps, open, high, low, close, volume } = series;
  const lines = new Array<string>(timestamps.length + 1);
  lines[0] = 'timestamp,open,high,low,close,volume';
  for (let i = 0; i < timestamps.length; i++) {
    lines[i + 1] = `${formatTimestamp(timestamps[i])},${open[i]},${high[i]},${low[i]},${close[i]},${volume[i]}`;
  }
  return lines.join('\n') + '\n';
}
