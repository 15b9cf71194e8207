import { z } from 'zod';
import { idNumber, periodParam, sourceParam, sourceValues, withSource } from './params.js';
import { ema, nanArray, sma } from './rolling.js';
import { defineIndicator } from './types.js';

/**
 * A value measured against its own moving average.
 *
 * distancefromma: 100 · (x − MA)/MA, in percent of the MA. The MA is this project's SMA or EMA, so the first value is
 * at bar period − 1 and the EMA is SMA-seeded (TTR); the original seeded its EMA at bar 0 and had no warm-up. An MA of
 * exactly 0 gives 0 (there is no meaningful distance from nothing; the original: |MA| ≤ 1e−10).
 *
 * volumeratio: V / SMA(V, period), the current bar included in the mean. First value at bar period − 1 (the original
 * wrote 1.0 into the warm-up, which made it indistinguishable from a normal bar). A window without any volume gives
 * 1.0, "as usual", which is the original's rule; the zero-volume count is kept exactly, not inferred from a running
 * sum that can drift a few ulps away from 0.
 */

export type MovingAverageKind = 'sma' | 'ema';

export function distanceFromMa(values: Float64Array, period: number, kind: MovingAverageKind): Float64Array {
  const average = kind === 'ema' ? ema(values, period) : sma(values, period);
  const out = nanArray(values.length);
  for (let i = 0; i < out.length; i++) {
    const ma = average[i];
    if (Number.isNaN(ma)) continue;
    out[i] = ma === 0 ? 0 : (100 * (values[i] - ma)) / ma;
  }
  return out;
}

export function volumeRatio(volume: Float64Array, period: number): Float64Array {
  const n = volume.length;
  const out = nanArray(n);
  let sum = 0;
  let traded = 0;
  for (let i = 0; i < n; i++) {
    sum += volume[i];
    if (volume[i] !== 0) traded++;
    if (i >= period) {
      sum -= volume[i - period];
      if (volume[i - period] !== 0) traded--;
    }
    if (i < period - 1) continue;
    out[i] = traded === 0 ? 1 : volume[i] / (sum / period);
  }
  return out;
}

/** The original spelled the MA kind in capitals (`ma_type: SMA`); both spellings load. */
const maKindParam = z
  .enum(['sma', 'ema', 'SMA', 'EMA'])
  .default('sma')
  .transform((kind) => kind.toLowerCase() as MovingAverageKind);

export const distanceFromMaIndicator = defineIndicator({
  type: 'distancefromma',
  aliases: ['distancefrommovingaverage'],
  description: 'Percent distance of the source from its SMA or EMA (`ma_type`) over `period` bars.',
  outputs: ['value'],
  params: z.strictObject({ period: periodParam(20), ma_type: maKindParam, source: sourceParam() }),
  defaultId: (p) => withSource(`distancefromma_${idNumber(p.period)}${p.ma_type === 'ema' ? '_ema' : ''}`, p.source),
  compute: (series, p) => ({ value: distanceFromMa(sourceValues(series, p.source), p.period, p.ma_type) }),
});

export const volumeRatioIndicator = defineIndicator({
  type: 'volumeratio',
  aliases: ['relativevolume'],
  description: 'Volume over its `period`-bar SMA (current bar included); 1 for a window without volume.',
  outputs: ['value'],
  params: z.strictObject({ period: periodParam(20) }),
  defaultId: (p) => `volumeratio_${idNumber(p.period)}`,
  compute: (series, p) => ({ value: volumeRatio(series.volume, p.period) }),
});
