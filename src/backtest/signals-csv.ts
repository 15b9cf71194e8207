/**
 * Signals from outside the model (a notebook, another system) as a CSV of `timestamp,signal`, and their alignment
 * onto the bars a backtest runs over. Both vocabularies are accepted: BUY/HOLD/SELL (any case) and 1/0/-1.
 */
import { KtrdrError } from '../errors.js';
import { formatTimestamp, parseTimestamp } from '../data/timestamp.js';
import { LABEL_BUY, LABEL_HOLD, LABEL_SELL } from '../labels/label-classes.js';

const TIME_COLUMNS = ['timestamp', 'date', 'datetime', 'time'];

const SIGNAL_VALUES: Readonly<Record<string, number>> = {
  buy: LABEL_BUY,
  hold: LABEL_HOLD,
  sell: LABEL_SELL,
  '1': LABEL_BUY,
  '+1': LABEL_BUY,
  '0': LABEL_HOLD,
  '-1': LABEL_SELL,
};

function fail(source: string, line: number, message: string): never {
  throw new KtrdrError('DATA_INVALID', `${source}: line ${line}: ${message}`, {
    details: { file: source, line },
    hint: 'a signals file is a header timestamp,signal then one row per bar: BUY/HOLD/SELL or 1/0/-1',
  });
}

/** Parses a whole signals file; DATA_INVALID names the file (`source`) and the line of the first bad row. */
export function parseSignalsCsv(text: string, source: string): { timestamps: Float64Array; signals: Uint8Array } {
  const lines = text.replace(/^\uFEFF/, '').split('\n');
  const header = lines[0].replace(/\r$/, '').trim();
  const names = header.split(',').map((name) => name.trim().toLowerCase());
  if (names.length !== 2 || !TIME_COLUMNS.includes(names[0]) || names[1] !== 'signal') {
    fail(source, 1, `the header must be timestamp,signal; got '${header}'`);
  }
  const timestamps = new Float64Array(lines.length - 1);
  const signals = new Uint8Array(lines.length - 1);
  let count = 0;
  for (let index = 1; index < lines.length; index++) {
    const line = index + 1;
    const row = lines[index].replace(/\r$/, '');
    if (row.trim() === '') continue;
    const cells = row.split(',');
    if (cells.length !== 2) fail(source, line, `expected 2 columns (timestamp,signal), got ${cells.length}: '${row}'`);
    const time = parseTimestamp(cells[0]);
    if (Number.isNaN(time)) fail(source, line, `'${cells[0].trim()}' is not an ISO-8601 timestamp`);
    if (count > 0 && !(time > timestamps[count - 1])) fail(source, line, `timestamp ${cells[0].trim()} does not come after the previous row's`);
    const signal = SIGNAL_VALUES[cells[1].trim().toLowerCase()];
    if (signal === undefined) fail(source, line, `signal '${cells[1].trim()}' is not BUY, HOLD, SELL, 1, 0 or -1`);
    timestamps[count] = time;
    signals[count] = signal;
    count++;
  }
  if (count === 0) fail(source, 2, 'the file has a header but no signal rows');
  return { timestamps: timestamps.slice(0, count), signals: signals.slice(0, count) };
}

/** The index of `time` in the increasing `timestamps`, or -1. */
function indexOf(timestamps: Float64Array, time: number): number {
  let low = 0;
  let high = timestamps.length - 1;
  while (low <= high) {
    const mid = (low + high) >>> 1;
    const value = timestamps[mid];
    if (value === time) return mid;
    if (value < time) low = mid + 1;
    else high = mid - 1;
  }
  return -1;
}

/**
 * One signal per bar: the signal stamped at that bar's timestamp, HOLD where none is. A signal whose timestamp is not
 * a bar's is an error rather than being dropped or moved, since either would silently change what was tested.
 */
export function alignSignals(barTimestamps: Float64Array, signalTimestamps: Float64Array, signals: Uint8Array): Uint8Array {
  const aligned = new Uint8Array(barTimestamps.length).fill(LABEL_HOLD);
  for (let k = 0; k < signalTimestamps.length; k++) {
    const at = indexOf(barTimestamps, signalTimestamps[k]);
    if (at < 0) {
      const time = formatTimestamp(signalTimestamps[k]);
      throw new KtrdrError('DATA_INVALID', `the signal at ${time} matches no bar of the backtest`, {
        details: { timestamp: time },
        hint: 'signals must be stamped with bar open times, and lie within the backtested range',
      });
    }
    aligned[at] = signals[k];
  }
  return aligned;
}
