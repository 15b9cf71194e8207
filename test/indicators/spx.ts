import { readFileSync } from 'node:fs';
import { parseOhlcvCsv } from '../../src/data/csv.js';
import type { OhlcvSeries } from '../../src/data/ohlcv.js';

/** The bundled S&P 500 daily bars (5104 of them), read through the data layer's own CSV parser. */
export function spxDaily(): OhlcvSeries {
  const file = new URL('../../data/SPX_1d.csv', import.meta.url);
  return parseOhlcvCsv(readFileSync(file), { file: 'SPX_1d.csv', symbol: 'SPX', timeframe: '1d' });
}

/**
 * The largest gap |got − ref|/max(1, |ref|) between two series, bar for bar. Throws where only one of them is NaN, so
 * a warm-up of the wrong length fails loudly instead of being skipped.
 */
export function maxRelativeGap(got: Float64Array, reference: Float64Array): number {
  if (got.length !== reference.length) throw new Error(`length ${got.length} != ${reference.length}`);
  let worst = 0;
  for (let i = 0; i < got.length; i++) {
    const a = got[i];
    const b = reference[i];
    if (Number.isNaN(a) || Number.isNaN(b)) {
      if (Number.isNaN(a) !== Number.isNaN(b)) throw new Error(`bar ${i}: got ${a}, reference ${b}`);
      continue;
    }
    const gap = Math.abs(a - b) / Math.max(1, Math.abs(b));
    if (gap > worst) worst = gap;
  }
  return worst;
}
