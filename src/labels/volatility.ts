/** Return series for barrier widths and event filters (the EWM statistics are pandas', in `indicators/pandas-ewm.ts`). */

/** log(C[i]/C[i−1]); NaN at bar 0. */
export function logReturns(close: Float64Array): Float64Array {
  const out = new Float64Array(close.length).fill(NaN);
  for (let i = 1; i < close.length; i++) out[i] = Math.log(close[i] / close[i - 1]);
  return out;
}
