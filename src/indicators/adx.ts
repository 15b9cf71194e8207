import { z } from 'zod';
import type { OhlcvSeries } from '../data/ohlcv.js';
import { idNumber, periodParam } from './params.js';
import { nanArray } from './rolling.js';
import { computedOutputs, defineIndicator, isSelected, type OutputSelection } from './types.js';

export type AdxOutputs = Record<'adx' | 'plus_di' | 'minus_di' | 'dx', Float64Array>;

/**
 * Wilder's directional movement system as TTR and TA-Lib compute it.
 *
 * - +DM = H − H₋₁ when it exceeds L₋₁ − L and is positive, else 0; −DM mirrors it. When the two moves are equal both
 *   are 0. This tie rule is the one that matters: Tulip keeps both and drifts by several DI points on tie-rich data.
 * - TR and DM are smoothed as Wilder sums (TTR's `wilderSum`): seeded with the plain sum of bars 1…period − 1, then
 *   S = S·(period − 1)/period + x, so DI starts at bar `period`.
 * - ADX is the Wilder mean of DX (seeded with the mean of the first `period` DX values), first at bar 2·period − 1.
 * - A window without range or movement gives DI = 0 and DX = 0 (no directional movement), where TTR gives 0/0.
 *
 * One fused pass: this is the same arithmetic as composing trueRange/wilderSum/wilderMean (bit for bit), without six
 * intermediate full-length arrays, which made ADX the slowest indicator on a million bars.
 */
export function adx(series: OhlcvSeries, period: number): AdxOutputs {
  return adxColumns(series, period, undefined) as AdxOutputs;
}

/** `adx` computing only the selected outputs (the others are undefined): each one is a full-length array. */
export function adxColumns(series: OhlcvSeries, period: number, outputs: OutputSelection): Partial<AdxOutputs> {
  const { high, low, close } = series;
  const n = close.length;
  const plusDi = isSelected(outputs, 'plus_di') ? nanArray(n) : undefined;
  const minusDi = isSelected(outputs, 'minus_di') ? nanArray(n) : undefined;
  const dx = isSelected(outputs, 'dx') ? nanArray(n) : undefined;
  const adxLine = isSelected(outputs, 'adx') ? nanArray(n) : undefined;
  const decay = (period - 1) / period;
  const alpha = 1 / period;
  const keep = 1 - alpha;
  let trSum = 0;
  let plusSum = 0;
  let minusSum = 0;
  let adxValue = 0;
  for (let i = 1; i < n; i++) {
    const up = high[i] - high[i - 1];
    const down = low[i - 1] - low[i];
    const plusDm = up > down && up > 0 ? up : 0;
    const minusDm = down > up && down > 0 ? down : 0;
    const prevClose = close[i - 1];
    const tr = (high[i] > prevClose ? high[i] : prevClose) - (low[i] < prevClose ? low[i] : prevClose);
    if (i < period) {
      trSum += tr;
      plusSum += plusDm;
      minusSum += minusDm;
      continue;
    }
    trSum = tr + trSum * decay;
    plusSum = plusDm + plusSum * decay;
    minusSum = minusDm + minusSum * decay;
    const pdi = trSum === 0 ? 0 : (100 * plusSum) / trSum;
    const mdi = trSum === 0 ? 0 : (100 * minusSum) / trSum;
    const total = pdi + mdi;
    const dxValue = total === 0 ? 0 : (100 * Math.abs(pdi - mdi)) / total;
    if (plusDi) plusDi[i] = pdi;
    if (minusDi) minusDi[i] = mdi;
    if (dx) dx[i] = dxValue;
    const seen = i - period + 1;
    if (seen < period) {
      adxValue += dxValue;
    } else if (seen === period) {
      adxValue = (adxValue + dxValue) / period;
      if (adxLine) adxLine[i] = adxValue;
    } else {
      adxValue = dxValue * alpha + adxValue * keep;
      if (adxLine) adxLine[i] = adxValue;
    }
  }
  return { adx: adxLine, plus_di: plusDi, minus_di: minusDi, dx };
}

export const adxIndicator = defineIndicator({
  type: 'adx',
  aliases: ['averagedirectionalindex', 'dmi'],
  description: "Wilder's average directional index with +DI, −DI and DX.",
  outputs: ['adx', 'plus_di', 'minus_di', 'dx'],
  params: z.strictObject({ period: periodParam(14) }),
  defaultId: (p) => `adx_${idNumber(p.period)}`,
  compute: (series, p, outputs) => computedOutputs(adxColumns(series, p.period, outputs)),
});
