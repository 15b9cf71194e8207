import { z } from 'zod';
import type { OhlcvSeries } from '../data/ohlcv.js';
import { idNumber, positiveParam } from './params.js';
import { nanArray } from './rolling.js';
import { defineIndicator } from './types.js';

/**
 * Wilder's parabolic stop-and-reverse, following TA-Lib's SAR (TTR's `SAR` starts from an arbitrary gap below bar
 * 0 and caps the factor by float equality, so it is not the reference here).
 *
 * - Direction at bar 1: short when bar 1's down move (L₀ − L₁) is positive and beats its up move (H₁ − H₀), else long.
 * - Long starts with SAR = L₀ and extreme point EP = H₁ (short: H₀ and L₁); bar 0 has no SAR.
 * - Each bar reports the SAR in force during it. A new EP raises the factor by `step_af` up to `max_af`; the next
 *   SAR never enters the last two bars' range.
 * - A bar that crosses the SAR reverses: its SAR is the old EP (kept outside the two bars' range) and the factor
 *   restarts at `initial_af`.
 */
export function parabolicSar(series: OhlcvSeries, initialAf: number, stepAf: number, maxAf: number): Float64Array {
  const { high, low } = series;
  const n = high.length;
  const out = nanArray(n);
  if (n < 2) return out;
  const downMove = low[0] - low[1];
  let isLong = !(downMove > 0 && downMove > high[1] - high[0]);
  let af = initialAf;
  let ep = isLong ? high[1] : low[1];
  let sar = isLong ? low[0] : high[0];
  let newHigh = high[1];
  let newLow = low[1];
  for (let i = 1; i < n; i++) {
    const prevHigh = newHigh;
    const prevLow = newLow;
    newHigh = high[i];
    newLow = low[i];
    if (isLong) {
      if (newLow <= sar) {
        isLong = false;
        sar = Math.max(ep, prevHigh, newHigh);
        out[i] = sar;
        af = initialAf;
        ep = newLow;
        sar = Math.max(sar + af * (ep - sar), prevHigh, newHigh);
      } else {
        out[i] = sar;
        if (newHigh > ep) {
          ep = newHigh;
          af = Math.min(af + stepAf, maxAf);
        }
        sar = Math.min(sar + af * (ep - sar), prevLow, newLow);
      }
    } else if (newHigh >= sar) {
      isLong = true;
      sar = Math.min(ep, prevLow, newLow);
      out[i] = sar;
      af = initialAf;
      ep = newHigh;
      sar = Math.min(sar + af * (ep - sar), prevLow, newLow);
    } else {
      out[i] = sar;
      if (newLow < ep) {
        ep = newLow;
        af = Math.min(af + stepAf, maxAf);
      }
      sar = Math.max(sar + af * (ep - sar), prevHigh, newHigh);
    }
  }
  return out;
}

export const psarIndicator = defineIndicator({
  type: 'psar',
  aliases: ['parabolicsar', 'sar'],
  description: "Wilder's parabolic SAR (TA-Lib conventions): the trailing stop level in force during each bar.",
  outputs: ['value'],
  params: z
    .strictObject({ initial_af: positiveParam(0.02), step_af: positiveParam(0.02), max_af: positiveParam(0.2) })
    .refine((p) => p.max_af >= p.initial_af, { message: 'max_af must be at least initial_af', path: ['max_af'] }),
  defaultId: (p) => `psar_${idNumber(p.initial_af)}_${idNumber(p.step_af)}_${idNumber(p.max_af)}`,
  compute: (series, p) => ({ value: parabolicSar(series, p.initial_af, p.step_af, p.max_af) }),
});
