/**
 * The evaluator's memory between inputs. Plain JSON (numbers, strings, arrays, objects) so the
 * controller can store it in Redis after each evaluation and any replica can continue from it; it
 * holds everything the decision depends on besides the program and the next input.
 */
import type { Program } from './program.schema';

export type CommandName = 'set_state' | 'set_level' | 'pulse';
export type CommandParams = Readonly<Record<string, string | number | boolean>>;

export interface SeriesState {
  /** Time of the first reading of this series the program saw: aggregates need a full window. */
  readonly first: number;
  /** Latest reading (by reading time). */
  readonly t: number;
  readonly v: number;
  /** Window buffer for aggregates, ascending by time: times and values. */
  readonly wt?: readonly number[];
  readonly wv?: readonly number[];
}

export interface IssuedCommand {
  readonly command: CommandName;
  readonly params: CommandParams;
  readonly time: number;
  /** 1, 2, 3 … per actuator: with program id and version it makes a stable idempotency key. */
  readonly seq: number;
  /**
   * The tree stopped deciding this actuator (a branch without `else` became false): the next
   * decision is a new activation and is issued even if it equals this command, because the
   * actuator may have been changed by someone else since.
   */
  readonly released?: boolean;
}

export interface ProgramState {
  readonly format: 1;
  readonly program: { readonly id: string; readonly version: number };
  /** Time of the last evaluation; evaluation time never goes backwards. */
  readonly time: number | null;
  /** device → metric → series. */
  readonly series: Readonly<Record<string, Readonly<Record<string, SeriesState>>>>;
  /** Condition path → since when it has held (conditions with `for`). */
  readonly holds: Readonly<Record<string, number>>;
  /** Hysteresis condition path → latch position and since when. */
  readonly latches: Readonly<Record<string, { readonly on: boolean; readonly since: number }>>;
  /** Actuator → last command this program issued to it. */
  readonly issued: Readonly<Record<string, IssuedCommand>>;
  /** Pulse and alert leaf path → since when it has been decided (edge detection). */
  readonly active: Readonly<Record<string, number>>;
  /** Alert leaf path → how many times it was raised: with the version, a stable idempotency key. */
  readonly alerts: Readonly<Record<string, number>>;
}

export function initialState(program: Pick<Program, 'id' | 'version'>): ProgramState {
  return {
    format: 1,
    program: { id: program.id, version: program.version },
    time: null,
    series: {},
    holds: {},
    latches: {},
    issued: {},
    active: {},
    alerts: {},
  };
}

/** A stored state that does not belong to the program it is used with. */
export class ProgramStateError extends Error {
  override readonly name = 'ProgramStateError';

  constructor(
    readonly programId: string,
    readonly stateProgramId: string,
  ) {
    super(`state of program "${stateProgramId}" cannot be used to evaluate program "${programId}"`);
  }
}
