import { invalidLabelParams } from './label-params.js';
import { ewmStd } from '../indicators/pandas-ewm.js';

export interface CusumOptions {
  /** Threshold h on summed log returns; 0 (or less) means automatic: `multiplier` × mean EWM std of log returns. */
  readonly threshold: number;
  /** For the automatic threshold. */
  readonly multiplier: number;
  /** EWM span of the automatic threshold's volatility. */
  readonly span: number;
}

/**
 * The symmetric CUSUM event filter on log returns r (the original's form, drift h subtracted inside the sums):
 * s⁺ = max(0, s⁺ + r − h), s⁻ = min(0, s⁻ + r + h); bar t is an event when s⁺ > h or s⁻ < −h, and the sum that fired
 * resets to 0 (the other keeps running). Bar 0 has no return and is never an event. Returns 1 at event bars.
 */
export function cusumEvents(logReturns: Float64Array, options: CusumOptions): { events: Uint8Array; threshold: number } {
  const threshold = options.threshold > 0 ? options.threshold : automaticThreshold(logReturns, options);
  if (!(threshold > 0 && Number.isFinite(threshold))) {
    throw invalidLabelParams('triple_barrier', `the automatic CUSUM threshold is ${threshold}; the prices do not move`, {
      cusum_threshold: threshold,
    });
  }
  const events = new Uint8Array(logReturns.length);
  let up = 0;
  let down = 0;
  for (let t = 1; t < logReturns.length; t++) {
    const r = logReturns[t];
    if (Number.isNaN(r)) continue;
    up = Math.max(0, up + r - threshold);
    down = Math.min(0, down + r + threshold);
    if (up > threshold) {
      events[t] = 1;
      up = 0;
    } else if (down < -threshold) {
      events[t] = 1;
      down = 0;
    }
  }
  return { events, threshold };
}

function automaticThreshold(logReturns: Float64Array, options: CusumOptions): number {
  const std = ewmStd(logReturns, options.span);
  let sum = 0;
  let count = 0;
  for (const value of std) {
    if (Number.isNaN(value)) continue;
    sum += value;
    count++;
  }
  return count === 0 ? NaN : options.multiplier * (sum / count);
}
