import { describe, expect, it } from 'vitest';
import { OPERATION_STATUSES, TERMINAL_STATUSES, isTerminal } from '../../src/operations/operation.js';
import { TRANSITIONS, nextStatus, type TransitionName } from '../../src/operations/transitions.js';

describe('operation transitions', () => {
  const names = Object.keys(TRANSITIONS) as TransitionName[];

  it('should start no rule from a terminal status but markResumed, which never leaves completed', () => {
    for (const name of names.filter((n) => n !== 'markResumed')) {
      for (const status of TERMINAL_STATUSES) expect(nextStatus(name, status)).toBeNull();
    }
    expect(TERMINAL_STATUSES.map((status) => nextStatus('markResumed', status))).toEqual([null, 'running', 'running']);
  });

  it('should give each status at most one target per transition', () => {
    for (const name of names) {
      const froms = TRANSITIONS[name].flatMap((rule) => rule.from);
      expect(new Set(froms).size).toBe(froms.length);
    }
  });

  it('should reach every status, and every non-pending one only through a named transition', () => {
    const targets = new Set(names.flatMap((name) => TRANSITIONS[name].map((rule) => rule.to)));
    expect([...targets].sort()).toEqual(OPERATION_STATUSES.filter((s) => s !== 'pending').sort());
  });

  it('should know which statuses are terminal', () => {
    expect(OPERATION_STATUSES.filter(isTerminal)).toEqual(['completed', 'failed', 'cancelled']);
  });
});
