/**
 * ISO-8601 timestamps as the data files and strategy dates use them: `YYYY-MM-DD`, optionally followed by `T` or a
 * space and `HH:MM[:SS[.fraction]]`, optionally followed by `Z` or an offset `±HH[:MM]`. No offset means UTC.
 * Parsing works on bytes so the CSV reader never materialises a string per row.
 */

const DAY_MS = 86_400_000;
const DIGIT_0 = 48;

function digits(bytes: Uint8Array, at: number, count: number): number {
  let value = 0;
  for (let i = at; i < at + count; i++) {
    const d = bytes[i] - DIGIT_0;
    if (d < 0 || d > 9) return -1;
    value = value * 10 + d;
  }
  return value;
}

/** Days from 1970-01-01 to a proleptic Gregorian date (Hinnant's days_from_civil); cheaper than Date.UTC per row. */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const dayOfYear = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * 146097 + dayOfEra - 719468;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/** Epoch ms (UTC) of the timestamp in `bytes[start, end)`, or NaN when it is not a valid timestamp. */
export function parseTimestampBytes(bytes: Uint8Array, start: number, end: number): number {
  const length = end - start;
  if (length < 10 || bytes[start + 4] !== 0x2d || bytes[start + 7] !== 0x2d) return NaN;
  const year = digits(bytes, start, 4);
  const month = digits(bytes, start + 5, 2);
  const day = digits(bytes, start + 8, 2);
  if (year < 0 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return NaN;
  let ms = daysFromCivil(year, month, day) * DAY_MS;
  if (length === 10) return ms;

  let i = start + 10;
  const sep = bytes[i];
  if (sep !== 0x54 && sep !== 0x20) return NaN; // 'T' or ' '
  i++;
  if (end - i < 5 || bytes[i + 2] !== 0x3a) return NaN;
  const hour = digits(bytes, i, 2);
  const minute = digits(bytes, i + 3, 2);
  if (hour < 0 || hour > 23 || minute < 0 || minute > 59) return NaN;
  ms += hour * 3_600_000 + minute * 60_000;
  i += 5;
  if (i < end && bytes[i] === 0x3a) {
    if (end - i < 3) return NaN;
    const second = digits(bytes, i + 1, 2);
    if (second < 0 || second > 59) return NaN;
    ms += second * 1000;
    i += 3;
    if (i < end && bytes[i] === 0x2e) {
      i++;
      const fractionStart = i;
      let millis = 0;
      while (i < end && bytes[i] >= DIGIT_0 && bytes[i] <= DIGIT_0 + 9) {
        if (i - fractionStart < 3) millis = millis * 10 + (bytes[i] - DIGIT_0);
        i++;
      }
      const count = i - fractionStart;
      if (count === 0 || count > 9) return NaN;
      for (let k = count; k < 3; k++) millis *= 10;
      ms += millis;
    }
  }
  if (i === end) return ms;
  const zone = bytes[i];
  if (zone === 0x5a) return i + 1 === end ? ms : NaN; // 'Z'
  if (zone !== 0x2b && zone !== 0x2d) return NaN; // '+' / '-'
  const sign = zone === 0x2b ? 1 : -1;
  i++;
  const offsetHours = end - i >= 2 ? digits(bytes, i, 2) : -1;
  if (offsetHours < 0 || offsetHours > 23) return NaN;
  i += 2;
  let offsetMinutes = 0;
  if (i < end) {
    if (bytes[i] === 0x3a) i++;
    offsetMinutes = end - i === 2 ? digits(bytes, i, 2) : -1;
    if (offsetMinutes < 0 || offsetMinutes > 59) return NaN;
  }
  return ms - sign * (offsetHours * 3_600_000 + offsetMinutes * 60_000);
}

/** Epoch ms (UTC) of an ISO timestamp or date string, or NaN when it is not one. */
export function parseTimestamp(text: string): number {
  const trimmed = text.trim();
  // Only printable ASCII can form a timestamp; checking first makes the latin1 encoding below one byte per character.
  if (!/^[\x20-\x7e]*$/.test(trimmed)) return NaN;
  return parseTimestampBytes(Buffer.from(trimmed, 'latin1'), 0, trimmed.length);
}

export function isDateOnly(text: string): boolean {
  return /^\d{4}-\d{2}-\d{2}$/.test(text.trim());
}

/**
 * A range bound as epoch ms, both ends inclusive. A date-only *end* means the whole day: `2020-04-17` as an end
 * includes every bar that opens on that day (up to 23:59:59.999 UTC), which is what people mean by "until the 17th".
 * Returns NaN when the text is not a timestamp.
 */
export function parseRangeBound(text: string, bound: 'start' | 'end'): number {
  const ms = parseTimestamp(text);
  if (bound === 'end' && isDateOnly(text) && !Number.isNaN(ms)) return ms + DAY_MS - 1;
  return ms;
}

/** `YYYY-MM-DDTHH:MM:SSZ`, with milliseconds only when they are not zero; the format the data files use. */
export function formatTimestamp(ms: number): string {
  const iso = new Date(ms).toISOString();
  return iso.endsWith('.000Z') ? `${iso.slice(0, 19)}Z` : iso;
}
