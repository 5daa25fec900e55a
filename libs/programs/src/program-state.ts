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
  /**
   * `lineage`: set by the controller when it first stores a program's state, and part of the
   * program's idempotency keys. A state lost and started again (Redis without persistence) gets a
   * new lineage, so its commands, counted from 1 again, cannot collide with the stored history's
   * keys and be dropped as replays. Absent in states made before it existed, and in dry runs.
   */
  readonly program: { readonly id: string; readonly version: number; readonly lineage?: string };
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

export function initialState(
  program: Pick<Program, 'id' | 'version'>,
  lineage?: string,
): ProgramState {
  return {
    format: 1,
    program:
      lineage === undefined
        ? { id: program.id, version: program.version }
        : { id: program.id, version: program.version, lineage },
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

/**
 * Whether two states of a program differ at most in what the next reading of a series replaces:
 * the series' latest value and time, and the evaluation time. Everything else — first-seen times,
 * windows, `for` holds, latches, issued commands, active leaves, alert counts — is the same.
 */
export function differsOnlyInLatestReadings(a: ProgramState, b: ProgramState): boolean {
  return (
    a.program.id === b.program.id &&
    a.program.version === b.program.version &&
    sameSeriesHistory(a.series, b.series) &&
    sameEntries(a.holds, b.holds, (x, y) => x === y) &&
    sameEntries(a.latches, b.latches, (x, y) => x.on === y.on && x.since === y.since) &&
    sameEntries(a.issued, b.issued, sameIssued) &&
    sameEntries(a.active, b.active, (x, y) => x === y) &&
    sameEntries(a.alerts, b.alerts, (x, y) => x === y)
  );
}

function sameEntries<V>(
  a: Readonly<Record<string, V>>,
  b: Readonly<Record<string, V>>,
  same: (x: V, y: V) => boolean,
): boolean {
  if (a === b) return true;
  for (const key in a) if (!(key in b) || !same(a[key], b[key])) return false;
  for (const key in b) if (!(key in a)) return false;
  return true;
}

function sameIssued(a: IssuedCommand, b: IssuedCommand): boolean {
  return (
    a === b ||
    (a.command === b.command &&
      a.time === b.time &&
      a.seq === b.seq &&
      a.released === b.released &&
      sameEntries(a.params, b.params, (x, y) => x === y))
  );
}

function sameSeriesHistory(a: ProgramState['series'], b: ProgramState['series']): boolean {
  return sameEntries(a, b, (x, y) =>
    sameEntries(
      x,
      y,
      (s, t) => s.first === t.first && sameNumbers(s.wt, t.wt) && sameNumbers(s.wv, t.wv),
    ),
  );
}

function sameNumbers(a: readonly number[] | undefined, b: readonly number[] | undefined): boolean {
  if (a === b) return true;
  if (a === undefined || b === undefined || a.length !== b.length) return false;
  return a.every((value, index) => value === b[index]);
}
