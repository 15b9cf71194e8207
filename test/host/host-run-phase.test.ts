import { describe, expect, it } from 'vitest';
import { HOST_RUN_STATUSES } from '../../src/contracts/host-protocol.js';
import { HOST_RUN_MOVES, hasEnded, hostRunStatus, type HostRunPhase } from '../../src/host/host-run-phase.js';
import { canMove } from '../../src/util/phases.js';

const PHASES = Object.keys(HOST_RUN_MOVES) as HostRunPhase[];

describe('host run phases', () => {
  it('should allow exactly these moves', () => {
    const allowed = PHASES.flatMap((from) => PHASES.filter((to) => canMove(HOST_RUN_MOVES, from, to)).map((to) => `${from} → ${to}`));
    expect(allowed.sort()).toEqual(
      [
        'queued → running',
        'queued → failed',
        'queued → cancelled',
        'running → pushing',
        'running → completed',
        'running → failed',
        'running → cancelled',
        'pushing → completed',
      ].sort(),
    );
  });

  it('should refuse a completion that never ran, and any move back to queued or running', () => {
    expect(canMove(HOST_RUN_MOVES, 'queued', 'completed')).toBe(false);
    expect(canMove(HOST_RUN_MOVES, 'queued', 'pushing')).toBe(false);
    for (const from of PHASES) {
      expect(canMove(HOST_RUN_MOVES, from, 'queued')).toBe(false);
      if (from !== 'queued') expect(canMove(HOST_RUN_MOVES, from, 'running')).toBe(false);
    }
  });

  it('should move nowhere from completed, failed or cancelled', () => {
    for (const from of ['completed', 'failed', 'cancelled'] as const) expect(HOST_RUN_MOVES[from]).toEqual([]);
  });

  it('should report each phase as a protocol status, a push as completed', () => {
    expect(PHASES.map(hostRunStatus)).toEqual(['queued', 'running', 'completed', 'completed', 'failed', 'cancelled']);
    expect(new Set(PHASES.map(hostRunStatus))).toEqual(new Set(HOST_RUN_STATUSES));
  });

  it('should count a run as ended once it has left queued and running', () => {
    expect(PHASES.filter(hasEnded)).toEqual(['pushing', 'completed', 'failed', 'cancelled']);
  });
});
