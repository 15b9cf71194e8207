/** For each phase of a lifecycle, the phases it may move to next; a phase with none is final. */
export type PhaseMoves<P extends string> = { readonly [K in P]: readonly P[] };

export function canMove<P extends string>(moves: PhaseMoves<P>, from: P, to: P): boolean {
  return moves[from].includes(to);
}

/**
 * The current phase of one lifecycle, changed only through `moveTo`, which refuses a move its table does not list.
 * A refused move is a bug: failing at the move says where, instead of leaving a state behind that no code expects.
 */
export class PhaseMachine<P extends string> {
  private phase: P;

  constructor(
    /** Names the lifecycle in the error of a refused move, e.g. `remote run op-1`. */
    private readonly name: string,
    private readonly moves: PhaseMoves<P>,
    initial: P,
  ) {
    this.phase = initial;
  }

  get current(): P {
    return this.phase;
  }

  /** A method rather than a comparison of `current`, whose narrowing TypeScript would keep across an `await`. */
  is(...phases: readonly P[]): boolean {
    return phases.includes(this.phase);
  }

  can(to: P): boolean {
    return canMove(this.moves, this.phase, to);
  }

  moveTo(to: P): void {
    if (!this.can(to)) throw new Error(`${this.name}: cannot move from ${this.phase} to ${to}`);
    this.phase = to;
  }
}
