import { z } from 'zod';
import type { OhlcvSeries } from '../data/ohlcv.js';
import { idNumber, periodParam } from './params.js';
import { nanArray, rollingMax, rollingMin } from './rolling.js';
import { defineIndicator } from './types.js';

export type IchimokuOutputs = Record<'tenkan' | 'kijun' | 'senkou_a' | 'senkou_b', Float64Array>;

/**
 * Ichimoku kinko hyo, with every value at bar i computed from bars ≤ i only.
 *
 * - tenkan, kijun: midpoint of the highest high and lowest low of the last `tenkan` / `kijun` bars (current bar
 *   included); first values at bars tenkan − 1 and kijun − 1.
 * - senkou_a, senkou_b: the cloud. Ichimoku plots (tenkan + kijun)/2 and the `senkou_b`-bar midpoint `displacement`
 *   bars ahead of the bar that computed them, so the cloud at bar i is what bar i − displacement computed:
 *   senkou_a[i] = (tenkan[i − d] + kijun[i − d])/2, senkou_b[i] = midpoint(senkou_b)[i − d]. That is what a chart
 *   shows under bar i and uses no later bar. First values at bars kijun − 1 + d and senkou_b − 1 + d; with
 *   `displacement: 0` they are the unshifted lines (what the original computed: it declared the displacement and
 *   ignored it).
 * - chikou is not an output. It is today's close plotted `displacement` bars back, so its value at bar i is the close
 *   of bar i + d: a feature made from it would read the future. The original emitted the close itself under that
 *   name; a strategy that names `ichimoku.chikou` is rejected as an unknown output instead of training on it.
 */
export function ichimoku(
  series: OhlcvSeries,
  tenkanPeriod: number,
  kijunPeriod: number,
  senkouBPeriod: number,
  displacement: number,
): IchimokuOutputs {
  const n = series.close.length;
  const midpoint = (period: number) => {
    const highest = rollingMax(series.high, period);
    const lowest = rollingMin(series.low, period);
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) out[i] = (highest[i] + lowest[i]) / 2;
    return out;
  };
  const tenkan = midpoint(tenkanPeriod);
  const kijun = midpoint(kijunPeriod);
  const slow = midpoint(senkouBPeriod);
  const senkouA = nanArray(n);
  const senkouB = nanArray(n);
  for (let i = displacement; i < n; i++) {
    senkouA[i] = (tenkan[i - displacement] + kijun[i - displacement]) / 2;
    senkouB[i] = slow[i - displacement];
  }
  return { tenkan, kijun, senkou_a: senkouA, senkou_b: senkouB };
}

export const ichimokuIndicator = defineIndicator({
  type: 'ichimoku',
  aliases: ['ichimokucloud', 'ichimokukinkohyo'],
  description: 'Ichimoku tenkan, kijun and the cloud (senkou spans shifted `displacement` bars forward, no look-ahead).',
  outputs: ['tenkan', 'kijun', 'senkou_a', 'senkou_b'],
  params: z.strictObject({ tenkan: periodParam(9), kijun: periodParam(26), senkou_b: periodParam(52), displacement: periodParam(26, 0) }),
  defaultId: (p) => `ichimoku_${idNumber(p.tenkan)}_${idNumber(p.kijun)}_${idNumber(p.senkou_b)}_${idNumber(p.displacement)}`,
  compute: (series, p) => ichimoku(series, p.tenkan, p.kijun, p.senkou_b, p.displacement),
});
