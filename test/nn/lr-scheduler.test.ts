import { describe, expect, it } from 'vitest';
import { createLrScheduler, type LrSchedulerConfig } from '../../src/nn/lr-scheduler.js';

/** The rate of each epoch (epoch 1 uses the initial rate), stepping with the given validation losses. */
function rates(config: LrSchedulerConfig, losses: number[], initial = 1): number[] {
  const scheduler = createLrScheduler(config, initial);
  const out = [initial];
  for (const loss of losses.slice(0, -1)) out.push(scheduler.step(loss));
  return out;
}

const flat = (epochs: number) => Array<number>(epochs).fill(1);

describe('createLrScheduler', () => {
  it('step: ×γ every step_size epochs', () => {
    expect(rates({ type: 'step', stepSize: 2, gamma: 0.1 }, flat(5)).map((r) => Number(r.toPrecision(12)))).toEqual([1, 1, 0.1, 0.1, 0.01]);
  });

  it('exponential: ×γ every epoch', () => {
    expect(rates({ type: 'exponential', gamma: 0.5 }, flat(4), 0.8)).toEqual([0.8, 0.4, 0.2, 0.1]);
  });

  it('cosine: half a cosine from the initial rate down to η_min over T_max epochs', () => {
    const got = rates({ type: 'cosine', tMax: 4, etaMin: 0.1 }, flat(5));
    const expected = [1, 0.1 + 0.9 * ((1 + Math.SQRT1_2) / 2), 0.55, 0.1 + 0.9 * ((1 - Math.SQRT1_2) / 2), 0.1];
    got.forEach((rate, i) => expect(rate).toBeCloseTo(expected[i], 12));
  });

  it('reduce_on_plateau: ×factor after more than `patience` epochs without a relative improvement of 1e-4', () => {
    // Epoch losses: 1, .9 (better), .95, .96 (2 bad > patience 1 → halve), .5 (better), .6, .7 (2 bad → halve).
    const config: LrSchedulerConfig = { type: 'reduce_on_plateau', factor: 0.5, patience: 1, minLr: 0 };
    expect(rates(config, [1, 0.9, 0.95, 0.96, 0.5, 0.6, 0.7, 0])).toEqual([1, 1, 1, 1, 0.5, 0.5, 0.5, 0.25]);
    // 0.89995 is not below 0.9·(1 − 1e-4) = 0.89991: not an improvement.
    expect(rates(config, [0.9, 0.89995, 0.89995, 0])).toEqual([1, 1, 1, 0.5]);
  });

  it('reduce_on_plateau never goes below min_lr', () => {
    const config: LrSchedulerConfig = { type: 'reduce_on_plateau', factor: 0.1, patience: 0, minLr: 0.05 };
    expect(rates(config, [1, 1, 1, 1, 0])).toEqual([1, 1, 0.1, 0.05, 0.05]);
  });
});
