import { z } from 'zod';
import type { OhlcvSeries } from '../data/ohlcv.js';
import { bollinger } from './bollinger.js';
import { keltner, type ChannelOutputs } from './channels.js';
import { idNumber, periodParam, positiveParam, sourceParam, sourceValues, withSource } from './params.js';
import { nanArray } from './rolling.js';
import { defineIndicator } from './types.js';

/** The original fixed the Keltner ATR period at 10 and did not expose it. */
export const KELTNER_ATR_PERIOD = 10;

/**
 * Squeeze intensity: how far the Bollinger Bands sit inside the Keltner channel, as a fraction of the channel's width.
 * intensity = max(0, min((KCu − BBu)/(KCu − KCl), (BBl − KCl)/(KCu − KCl))): 0 when either band pokes out of the
 * channel (no squeeze), up to 0.5 when the bands collapse onto the channel's middle.
 *
 * BB is this project's `bbands` (SMA ± bb_multiplier · population SD; the original used the sample SD) and KC is its
 * `keltner` (EMA(kc_period), SMA-seeded, ± kc_multiplier · Wilder ATR(10); the original used a first-value-seeded EMA
 * and a simple mean of TR). The first value is at bar max(bb_period − 1, kc_period − 1, 10); the warm-up is NaN where
 * the original wrote 0. A channel of width 0 (no true range over the ATR window) gives 0, as in the original.
 */
export function squeezeIntensity(
  series: OhlcvSeries,
  values: Float64Array,
  bbPeriod: number,
  bbMultiplier: number,
  kcPeriod: number,
  kcMultiplier: number,
): Float64Array {
  return squeezeFromBands(bollinger(values, bbPeriod, bbMultiplier), keltner(series, values, kcPeriod, KELTNER_ATR_PERIOD, kcMultiplier));
}

/** The intensity from given bands and channel (NaN where either is undefined). */
export function squeezeFromBands(bands: ChannelOutputs, channel: ChannelOutputs): Float64Array {
  const n = bands.upper.length;
  const out = nanArray(n);
  for (let i = 0; i < n; i++) {
    const width = channel.upper[i] - channel.lower[i];
    if (Number.isNaN(width) || Number.isNaN(bands.upper[i])) continue;
    if (width === 0) {
      out[i] = 0;
      continue;
    }
    const inside = Math.min((channel.upper[i] - bands.upper[i]) / width, (bands.lower[i] - channel.lower[i]) / width);
    out[i] = inside > 0 ? inside : 0;
  }
  return out;
}

export const squeezeIntensityIndicator = defineIndicator({
  type: 'squeezeintensity',
  aliases: ['squeeze'],
  description: 'How deep the Bollinger Bands sit inside the Keltner channel (0: no squeeze … 0.5: bands collapsed).',
  outputs: ['value'],
  params: z.strictObject({
    bb_period: periodParam(20),
    bb_multiplier: positiveParam(2),
    kc_period: periodParam(20),
    kc_multiplier: positiveParam(2),
    source: sourceParam(),
  }),
  defaultId: (p) =>
    withSource(
      `squeezeintensity_${idNumber(p.bb_period)}_${idNumber(p.bb_multiplier)}_${idNumber(p.kc_period)}_${idNumber(p.kc_multiplier)}`,
      p.source,
    ),
  compute: (series, p) => ({
    value: squeezeIntensity(series, sourceValues(series, p.source), p.bb_period, p.bb_multiplier, p.kc_period, p.kc_multiplier),
  }),
});
