import type { CreateOperationInput } from '../../src/operations/operation-store.js';
import type { TrainingProgress } from '../../src/training/progress.js';
import type { LogRecord } from '../../src/util/logger.js';

/** A clock that moves forward by `stepMs` on every reading, so creation order is also time order. */
export function steppingClock(start = '2025-01-01T00:00:00.000Z', stepMs = 1): () => Date {
  let t = Date.parse(start);
  return () => {
    const now = new Date(t);
    t += stepMs;
    return now;
  };
}

/** A clock that moves only when told to. */
export function manualClock(start = '2025-01-01T00:00:00.000Z'): { now: () => Date; advance(ms: number): void } {
  let t = Date.parse(start);
  return {
    now: () => new Date(t),
    advance(ms: number) {
      t += ms;
    },
  };
}

export function trainingInput(overrides: Partial<CreateOperationInput> = {}): CreateOperationInput {
  return {
    type: 'training',
    strategy: 'demo_rsi',
    request: { strategy: overrides.strategy ?? 'demo_rsi', symbols: ['SPX'], timeframes: ['1d'], epochs: 10, execution_mode: 'auto' },
    ...overrides,
  };
}

export function progressAt(percent: number, overrides: Partial<TrainingProgress> = {}): TrainingProgress {
  return { percent, step: 'train', step_index: 8, total_steps: 11, message: `Training ${percent}%`, ...overrides };
}

export function logLine(msg: string, overrides: Partial<LogRecord> = {}): LogRecord {
  return { time: Date.parse('2025-01-01T00:00:00.000Z'), level: 'info', msg, ...overrides };
}
