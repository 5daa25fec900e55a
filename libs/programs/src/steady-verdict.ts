/**
 * The evaluator's shortcut for the commonest input: a reading that changes no condition of a
 * program that decides on one series' latest value alone (a thermostat, a threshold cut-off).
 * Such a program's verdict depends only on that value, the latches and what it issued before, so
 * when the new value leaves every comparison and every latch as the last evaluation left them, the
 * tree decides the same leaves again: nothing is issued, released or raised, and the next state
 * differs from the last one only in the series' latest value and the evaluation time.
 *
 * A full evaluation records its condition results together with the state it returns, one record
 * per program (the controller evaluates each program from its latest state); a reading evaluated
 * from exactly that state object and agreeing with the results is answered from the record. Any
 * other state — read back from Redis, from another evaluation, built by hand — is evaluated in full. The results are identical to
 * a full evaluation's (the evaluator's property test compares both on random programs and inputs),
 * only cheaper: the controller evaluates every reading of every device a program watches.
 */
import { compare, type ConditionOutcome } from './condition.evaluator';
import type { CompiledNode, CompiledProgram } from './program.compiler';
import type { ProgramState, SeriesState } from './program-state';
import type {
  DesiredCommand,
  EvaluationResult,
  EvaluationTrace,
  ProgramAction,
  ReadingEvent,
  TraceDecision,
} from './program.evaluator';

interface SteadyRecord {
  /** The state the results belong to (the last one this program's record answered or recorded). */
  state: ProgramState;
  /** Whether its series holds only the program's one series (then a new one is built directly). */
  readonly single: boolean;
  /** Each condition's raw result (compare and hysteresis; the others follow from them). */
  readonly raws: ReadonlyArray<boolean | null>;
  readonly decided: ReadonlyMap<string, DesiredCommand>;
  /** The trace decisions of a repeat: issued leaves now read unchanged / still active. */
  readonly decisions: readonly TraceDecision[];
}

/** The one series a latest-value program reads, or null when the program does not qualify. */
interface SteadyShape {
  readonly device: string;
  readonly metric: string;
  /** Paths of the pulse leaves: a repeat reports them still active, like alerts. */
  readonly pulses: ReadonlySet<string>;
}

/** Per compiled program: its shape (null: it does not qualify) and its latest record. */
interface SteadySlot {
  readonly shape: SteadyShape | null;
  record: SteadyRecord | undefined;
}

const slots = new WeakMap<CompiledProgram, SteadySlot>();
const NO_ACTIONS: readonly ProgramAction[] = Object.freeze([]);

function pulsePaths(node: CompiledNode, into = new Set<string>()): Set<string> {
  if (node.kind === 'action') {
    if (node.command?.command === 'pulse') into.add(node.path);
  } else if (node.kind === 'branch') {
    pulsePaths(node.then, into);
    if (node.else) pulsePaths(node.else, into);
  } else {
    for (const child of node.children) pulsePaths(child, into);
  }
  return into;
}

function slotOf(compiled: CompiledProgram): SteadySlot {
  let slot = slots.get(compiled);
  if (slot === undefined) {
    let shape: SteadyShape | null = null;
    const [only] = compiled.series;
    const qualifies =
      compiled.series.size === 1 &&
      only[1].size === 1 &&
      compiled.staleMs === null &&
      compiled.conditions.every(
        (c) =>
          c.forMs === null &&
          (c.kind === 'and' ||
            c.kind === 'or' ||
            c.kind === 'not' ||
            c.kind === 'ref' ||
            (c.kind === 'compare' && c.left.aggregate === undefined) ||
            (c.kind === 'hysteresis' && c.source.aggregate === undefined)),
      );
    if (qualifies) {
      const [[metric, windowMs]] = only[1];
      if (windowMs === 0) shape = { device: only[0], metric, pulses: pulsePaths(compiled.root) };
    }
    slot = { shape, record: undefined };
    slots.set(compiled, slot);
  }
  return slot;
}

/**
 * Records a full evaluation's results for the state it produced, when the program qualifies and
 * every condition was decided (an unknown one leaves leaves uncertain: not a steady verdict).
 */
export function recordSteadyVerdict(
  compiled: CompiledProgram,
  state: ProgramState,
  outcomes: readonly ConditionOutcome[],
  decided: ReadonlyMap<string, DesiredCommand>,
  decisions: readonly TraceDecision[],
): void {
  const slot = slotOf(compiled);
  const shape = slot.shape;
  if (shape === null) return;
  slot.record = undefined;
  const raws = outcomes.map((outcome) => outcome.raw);
  if (raws.some((raw) => raw === null)) return;
  const repeated: TraceDecision[] = [];
  for (const decision of decisions) {
    // a released actuator stays released without a word; what was issued is now in force
    if (decision.outcome === 'released') continue;
    if (decision.outcome !== 'issued') repeated.push(decision);
    else {
      const held = decision.target === 'alert' || shape.pulses.has(decision.path);
      repeated.push({ ...decision, outcome: held ? 'still_active' : 'unchanged' });
    }
  }
  const devices = Object.keys(state.series);
  const single =
    devices.length === 1 &&
    devices[0] === shape.device &&
    Object.keys(state.series[shape.device]).length === 1;
  slot.record = { state, single, raws, decided, decisions: repeated };
}

/** What a repeat evaluates to: the last verdict again, on the new latest value. */
class SteadyEvaluation implements EvaluationResult {
  readonly actions: readonly ProgramAction[] = NO_ACTIONS;
  private desiredRecord: Record<string, DesiredCommand> | undefined;

  constructor(
    readonly state: ProgramState,
    private readonly decided: ReadonlyMap<string, DesiredCommand>,
    private readonly decisions: readonly TraceDecision[],
  ) {}

  // desired and trace are built on first read: the controller's stream evaluation reads neither
  get desired(): Readonly<Record<string, DesiredCommand>> {
    return (this.desiredRecord ??= Object.fromEntries(this.decided));
  }

  get trace(): EvaluationTrace {
    return {
      time: this.state.time ?? 0,
      input: 'reading',
      conditions: [],
      decisions: this.decisions,
    };
  }
}

/** The evaluation of `reading` when it changes nothing but the latest value; undefined otherwise. */
export function steadyVerdict(
  compiled: CompiledProgram,
  state: ProgramState,
  reading: ReadingEvent,
): EvaluationResult | undefined {
  const { shape, record } = slotOf(compiled);
  if (shape === null || record === undefined || record.state !== state || state.time === null)
    return undefined;
  const now = Math.max(state.time, reading.time);
  let series = state.series;
  if (reading.device === shape.device && reading.metric === shape.metric) {
    const current = state.series[shape.device]?.[shape.metric];
    // a late reading is stored but not evaluated: the full path keeps the newer value
    if (current === undefined || reading.time < current.t) return undefined;
    if (!agrees(compiled, state, record.raws, reading.value)) return undefined;
    const next: SeriesState = {
      first: Math.min(current.first, reading.time),
      t: reading.time,
      v: reading.value,
    };
    // spreading objects keyed by device ids is slow (one object shape per device): build directly
    series = record.single
      ? { [shape.device]: { [shape.metric]: next } }
      : {
          ...state.series,
          [shape.device]: { ...state.series[shape.device], [shape.metric]: next },
        };
  }
  const result: ProgramState = {
    format: 1,
    program: state.program,
    time: now,
    series,
    holds: state.holds,
    latches: state.latches,
    issued: state.issued,
    active: state.active,
    alerts: state.alerts,
  };
  record.state = result;
  return new SteadyEvaluation(result, record.decided, record.decisions);
}

/** Whether value `x` leaves every comparison's result and every latch where they are. */
function agrees(
  compiled: CompiledProgram,
  state: ProgramState,
  raws: ReadonlyArray<boolean | null>,
  x: number,
): boolean {
  for (const c of compiled.conditions) {
    if (c.kind === 'compare') {
      if (compare(x, c.op, c.value) !== raws[c.index]) return false;
    } else if (c.kind === 'hysteresis') {
      const on = state.latches[c.path]?.on;
      if (on === undefined || on !== raws[c.index]) return false;
      if (on ? compare(x, c.off.op, c.off.value) : compare(x, c.on.op, c.on.value)) return false;
    }
  }
  return true;
}
