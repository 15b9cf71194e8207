import { describe, expect, it } from 'vitest';
import { CONTEXT_CLASSES, contextLabels } from '../../src/labels/context-labels.js';
import { forwardReturnLabels } from '../../src/labels/forward-return-labels.js';
import { seriesFrom } from '../indicators/series.js';
import { errorOf, list } from './label-helpers.js';

describe('forwardReturnLabels', () => {
  it('is (C[t+H] − C[t]) / C[t], unlabelled for the last H bars', () => {
    const labels = forwardReturnLabels(seriesFrom({ close: [100, 110, 99, 121] }), { horizon: 2 });
    expect(labels.classes).toBeNull();
    expect(labels.values[0]).toBeCloseTo(-0.01, 14);
    expect(labels.values[1]).toBeCloseTo(0.1, 14);
    expect(list(labels.values.subarray(2))).toEqual([NaN, NaN]);
    expect(list(labels.lastBarRead!)).toEqual([2, 3, -1, -1]);
    expect(labels.unlabelled).toEqual({ beyondData: 2, filtered: 0 });
  });

  it('refuses a bad horizon, too few bars and a zero close with stable codes', () => {
    expect(errorOf(() => forwardReturnLabels(seriesFrom({ close: [1, 2, 3] }), { horizon: 0 })).code).toBe('LABEL_PARAMS_INVALID');
    expect(errorOf(() => forwardReturnLabels(seriesFrom({ close: [1, 2] }), { horizon: 2 })).code).toBe('DATA_INSUFFICIENT');
    expect(errorOf(() => forwardReturnLabels(seriesFrom({ close: [1, 0, 3] }), { horizon: 1 })).code).toBe('DATA_INVALID');
  });
});

describe('contextLabels', () => {
  const options = { horizon: 1, bullishThreshold: 0.005, bearishThreshold: -0.005 };

  it('classes the H-bar forward return: BULLISH above, BEARISH below, NEUTRAL between', () => {
    // returns: +1 %, −0.79 %, −1.20 %, +0.25 %, +0.76 %, (none)
    const labels = contextLabels(seriesFrom({ close: [100, 101, 100.2, 99, 99.25, 100] }), options);
    expect(labels.classes).toEqual(CONTEXT_CLASSES);
    expect(CONTEXT_CLASSES).toEqual(['BULLISH', 'BEARISH', 'NEUTRAL']);
    expect(list(labels.values)).toEqual([0, 1, 1, 2, 0, NaN]);
    expect(list(labels.lastBarRead!)).toEqual([1, 2, 3, 4, 5, -1]);
    expect(labels.unlabelled.beyondData).toBe(1);
  });

  it('refuses thresholds in the wrong order', () => {
    const error = errorOf(() => contextLabels(seriesFrom({ close: [1, 2, 3] }), { ...options, bullishThreshold: -0.01 }));
    expect(error.code).toBe('LABEL_PARAMS_INVALID');
    expect(error.message).toContain('bearish_threshold');
  });
});
