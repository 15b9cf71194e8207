import { z } from 'zod';
import type { OhlcvSeries } from '../data/ohlcv.js';

/**
 * Columns an indicator can read through its `source` parameter. `typical` is (H + L + C) / 3 and `median` is
 * (H + L) / 2, computed in exactly that order: TTR's fixtures were made with that arithmetic, and a 1-ulp difference
 * flips tie bars in MFI.
 */
export const SOURCES = ['open', 'high', 'low', 'close', 'volume', 'typical', 'median'] as const;
export type Source = (typeof SOURCES)[number];

export function sourceParam(defaultValue: Source = 'close') {
  return z.enum(SOURCES).default(defaultValue);
}

/** A window length in bars. */
export function periodParam(defaultValue: number, min = 1) {
  return z.number().int().min(min).default(defaultValue);
}

export function positiveParam(defaultValue: number) {
  return z.number().positive().finite().default(defaultValue);
}

export function sourceValues(series: OhlcvSeries, source: Source): Float64Array {
  switch (source) {
    case 'open':
    case 'high':
    case 'low':
    case 'close':
    case 'volume':
      return series[source];
    case 'typical':
      return typicalPrice(series);
    case 'median': {
      const { high, low } = series;
      const out = new Float64Array(high.length);
      for (let i = 0; i < out.length; i++) out[i] = (high[i] + low[i]) / 2;
      return out;
    }
  }
}

export function typicalPrice(series: OhlcvSeries): Float64Array {
  const { high, low, close } = series;
  const out = new Float64Array(close.length);
  for (let i = 0; i < out.length; i++) out[i] = (high[i] + low[i] + close[i]) / 3;
  return out;
}

/** A number as it appears in a column id: `2` → `2`, `2.5` → `2p5`, `-1` → `m1` (see IndicatorDefinition.defaultId). */
export function idNumber(value: number): string {
  return String(value).replace('-', 'm').replace('.', 'p');
}

/** Appends the source to an id only when it is not the default, so the common ids stay short (`sma_20`). */
export function withSource(id: string, source: Source, defaultSource: Source = 'close'): string {
  return source === defaultSource ? id : `${id}_${source}`;
}
