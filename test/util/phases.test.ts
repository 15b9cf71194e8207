import { describe, expect, it } from 'vitest';
import { PhaseMachine, type PhaseMoves } from '../../src/util/phases.js';

type Light = 'red' | 'green' | 'off';
const LIGHT_MOVES: PhaseMoves<Light> = { red: ['green', 'off'], green: ['red', 'off'], off: [] };

describe(PhaseMachine.name, () => {
  it('should start in the initial phase and follow the moves its table allows', () => {
    const sut = new PhaseMachine('light', LIGHT_MOVES, 'red');
    expect(sut.current).toBe('red');
    sut.moveTo('green');
    sut.moveTo('red');
    expect(sut.is('red')).toBe(true);
    expect(sut.is('green', 'off')).toBe(false);
  });

  it('should refuse a move the table does not list, naming the lifecycle, and stay where it was', () => {
    const sut = new PhaseMachine('light 7', LIGHT_MOVES, 'red');
    sut.moveTo('off');
    expect(sut.can('red')).toBe(false);
    expect(() => sut.moveTo('red')).toThrow('light 7: cannot move from off to red');
    expect(sut.current).toBe('off');
  });

  it('should refuse a move to the same phase unless the table lists it', () => {
    const sut = new PhaseMachine('light', LIGHT_MOVES, 'green');
    expect(() => sut.moveTo('green')).toThrow(/cannot move from green to green/);
  });
});
