import { describe, expect, it } from 'vitest';
import { REMOTE_RUN_MOVES, type RemoteRunPhase } from '../../src/execution/remote/remote-run-phase.js';
import { canMove } from '../../src/util/phases.js';

const PHASES = Object.keys(REMOTE_RUN_MOVES) as RemoteRunPhase[];

/** Every (from, to) pair the table allows, as `from → to`. */
function allowedMoves(): string[] {
  return PHASES.flatMap((from) => PHASES.filter((to) => canMove(REMOTE_RUN_MOVES, from, to)).map((to) => `${from} → ${to}`));
}

describe('remote run phases', () => {
  it('should allow exactly these moves', () => {
    expect(allowedMoves().sort()).toEqual(
      [
        'dispatching → following',
        'dispatching → done',
        'following → awaitingPush',
        'following → watching',
        'following → detached',
        'following → done',
        'awaitingPush → watching',
        'awaitingPush → detached',
        'awaitingPush → done',
        'watching → done',
      ].sort(),
    );
  });

  it('should let go only of a run the host has, before its outcome is known', () => {
    expect(PHASES.filter((from) => canMove(REMOTE_RUN_MOVES, from, 'detached')).sort()).toEqual(['awaitingPush', 'following']);
  });

  it('should watch for a recovery only after the host had the run', () => {
    expect(canMove(REMOTE_RUN_MOVES, 'dispatching', 'watching')).toBe(false);
  });

  it('should refuse every move out of detached and done, and every move back to dispatching', () => {
    for (const to of PHASES) {
      expect(canMove(REMOTE_RUN_MOVES, 'detached', to)).toBe(false);
      expect(canMove(REMOTE_RUN_MOVES, 'done', to)).toBe(false);
      expect(canMove(REMOTE_RUN_MOVES, to, 'dispatching')).toBe(false);
    }
  });

  it('should let every phase but detached end in done', () => {
    for (const from of PHASES.filter((phase) => phase !== 'detached' && phase !== 'done')) expect(canMove(REMOTE_RUN_MOVES, from, 'done')).toBe(true);
  });
});
