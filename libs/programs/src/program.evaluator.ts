/**
 * evaluate(program, state, input) → { state, actions, trace }: a pure, deterministic state machine.
 *
 * - Time comes only from the input (a reading's time, or a tick's), never from the clock, and never
 *   goes backwards: a late reading is stored but evaluated at the latest time already seen.
 * - Edge-triggered: a set_state / set_level command is issued only when the command the tree
 *   decides for an actuator differs from the last one this program issued to it; pulses and alerts
 *   fire when their leaf becomes decided (and again only after it was not decided in between).
 * - The input state is never mutated; the returned state is plain JSON.
 */
import { evaluateConditions, type ConditionOutcome } from './condition.evaluator';
import {
  compileProgram,
  type ActionLeaf,
  type CompiledNode,
  type CompiledProgram,
} from './program.compiler';
import {
  ProgramStateError,
  type CommandName,
  type CommandParams,
  type IssuedCommand,
  type ProgramState,
  type SeriesState,
} from './program-state';
import type { Program } from './program.schema';
import { describe, describeMissing, type ReasonContext } from './reason.formatter';
import { recordSteadyVerdict, steadyVerdict } from './steady-verdict';

export interface ReadingEvent {
  readonly type: 'reading';
  readonly tenant: string;
  readonly device: string;
  readonly metric: string;
  /** Epoch milliseconds. */
  readonly time: number;
  readonly value: number;
}

/** Lets time pass without a reading: `for` durations complete, schedules and cron triggers change. */
export interface TickEvent {
  readonly type: 'tick';
  readonly time: number;
}

export type ProgramEvent = ReadingEvent | TickEvent;

interface ActionBase {
  readonly programId: string;
  readonly programVersion: number;
  readonly tenant: string;
  /** Evaluation time (epoch ms) at which the action was decided. */
  readonly time: number;
  /** Why: the conditions on the path to the leaf, as true statements. */
  readonly reason: string;
  /** The leaf that decided it, e.g. `tree.then.else`. */
  readonly path: string;
  /** Stable across a replay of the same inputs from the same stored state (crash recovery). */
  readonly idempotencyKey: string;
}

export interface CommandAction extends ActionBase {
  readonly kind: 'command';
  readonly priority: number;
  readonly actuator: string;
  readonly command: CommandName;
  readonly params: CommandParams;
}

export interface AlertAction extends ActionBase {
  readonly kind: 'alert';
  readonly severity: 'info' | 'warning' | 'critical';
  readonly message: string;
}

export type ProgramAction = CommandAction | AlertAction;

export interface TraceCondition {
  readonly path: string;
  readonly value: boolean | null;
  readonly detail: string;
}

export interface TraceDecision {
  readonly path: string;
  /** Actuator id, or "alert". */
  readonly target: string;
  readonly outcome: 'issued' | 'unchanged' | 'still_active' | 'shadowed' | 'released';
}

export interface EvaluationTrace {
  readonly time: number;
  readonly input: ProgramEvent['type'];
  /** Set when the input was outside the program's scope and nothing was evaluated. */
  readonly ignored?: string;
  /** Every condition (only when `trace` is on). */
  readonly conditions: readonly TraceCondition[];
  readonly decisions: readonly TraceDecision[];
}

export interface EvaluationResult {
  readonly state: ProgramState;
  /** What changed: commands and alerts to issue now. */
  readonly actions: readonly ProgramAction[];
  /**
   * What the tree decides for each actuator at this instant, issued or not: the program's standing
   * wish, for the controller's arbitration between programs and after a manual override ends.
   */
  readonly desired: Readonly<Record<string, DesiredCommand>>;
  readonly trace: EvaluationTrace;
}

export interface EvaluateOptions {
  /** Render every condition into the trace (default true; off for hot paths and dry runs). */
  readonly trace?: boolean;
}

/** An input the evaluator cannot use: a time or value that is not a finite number. */
export class ProgramInputError extends Error {
  override readonly name = 'ProgramInputError';

  constructor(
    readonly field: string,
    readonly value: unknown,
  ) {
    super(`program input: ${field} must be a finite number, got ${String(value)}`);
  }
}

type SeriesMap = ProgramState['series'];

/** The state for another version of the same program: data and issued commands carry over,
 * condition memory (timers, latches, active leaves) is keyed by node paths that may have moved. */
function forVersion(state: ProgramState, program: Program): ProgramState {
  if (state.program.id !== program.id) throw new ProgramStateError(program.id, state.program.id);
  if (state.program.version === program.version) return state;
  return {
    ...state,
    program: { ...state.program, version: program.version },
    holds: {},
    latches: {},
    active: {},
    alerts: {},
  };
}

function withReading(
  s: SeriesState | undefined,
  reading: ReadingEvent,
  windowMs: number,
  now: number,
): SeriesState {
  const newer = !s || reading.time >= s.t;
  const next: { -readonly [K in keyof SeriesState]: SeriesState[K] } = {
    first: s ? Math.min(s.first, reading.time) : reading.time,
    t: newer ? reading.time : (s?.t ?? reading.time),
    v: newer ? reading.value : (s?.v ?? reading.value),
  };
  if (windowMs > 0) {
    const times = [...(s?.wt ?? [])];
    const values = [...(s?.wv ?? [])];
    let at = times.length;
    while (at > 0 && times[at - 1] > reading.time) at--;
    times.splice(at, 0, reading.time);
    values.splice(at, 0, reading.value);
    const cut = firstInside(times, now - windowMs);
    next.wt = cut > 0 ? times.slice(cut) : times;
    next.wv = cut > 0 ? values.slice(cut) : values;
  }
  return next;
}

/** Index of the first time inside the window (time > from). */
function firstInside(times: readonly number[], from: number): number {
  let i = 0;
  while (i < times.length && times[i] <= from) i++;
  return i;
}

/** Adds the reading (when the program uses its series) and drops window entries that aged out. */
function updateSeries(
  compiled: CompiledProgram,
  series: SeriesMap,
  reading: ReadingEvent | null,
  now: number,
): SeriesMap {
  const changes: Array<[device: string, metric: string, series: SeriesState]> = [];
  for (const [device, metrics] of compiled.series) {
    for (const [metric, windowMs] of metrics) {
      const current = series[device]?.[metric];
      if (reading && reading.device === device && reading.metric === metric) {
        changes.push([device, metric, withReading(current, reading, windowMs, now)]);
      } else if (windowMs > 0 && current?.wt?.length && current.wt[0] <= now - windowMs) {
        const cut = firstInside(current.wt, now - windowMs);
        changes.push([
          device,
          metric,
          { ...current, wt: current.wt.slice(cut), wv: current.wv?.slice(cut) },
        ]);
      }
    }
  }
  if (changes.length === 0) return series;
  // Copy only the devices that changed; the rest of the map is shared with the previous state.
  const result: Record<string, Record<string, SeriesState>> = { ...series };
  for (const [device, metric, value] of changes) {
    if (result[device] === series[device]) result[device] = { ...series[device] };
    result[device][metric] = value;
  }
  return result;
}

interface Decision {
  readonly leaf: ActionLeaf;
  /** Branch conditions on the way to the leaf, with the value that led there. */
  readonly path: ReadonlyArray<readonly [number, boolean]>;
}

interface Decisions {
  readonly decided: Decision[];
  /** Leaves below a branch whose condition is unknown: neither decided nor released. */
  readonly uncertain: ActionLeaf[];
}

function decide(
  node: CompiledNode,
  outcomes: readonly ConditionOutcome[],
  path: ReadonlyArray<readonly [number, boolean]>,
  out: Decisions,
): void {
  switch (node.kind) {
    case 'action':
      out.decided.push({ leaf: node, path });
      return;
    case 'sequence':
      for (const child of node.children) decide(child, outcomes, path, out);
      return;
    case 'branch': {
      const value = outcomes[node.condition].value;
      // Unknown (no data, stale, partial window): neither branch; actuators keep their command.
      if (value === null) {
        out.uncertain.push(...node.leaves);
        return;
      }
      const next = value ? node.then : node.else;
      if (next) decide(next, outcomes, [...path, [node.condition, value]], out);
      return;
    }
  }
}

export interface DesiredCommand {
  readonly command: CommandName;
  readonly params: CommandParams;
}

function sameParams(a: CommandParams, b: CommandParams): boolean {
  // a command issued from a leaf keeps the leaf's params object until the state goes through JSON
  if (a === b) return true;
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((key) => a[key] === b[key]);
}

function reasonFor(decision: Decision, ctx: ReasonContext): string {
  if (decision.path.length === 0) return 'unconditional';
  return decision.path.map(([index]) => describe(index, ctx)).join('; ');
}

export function evaluate(
  program: Program,
  state: ProgramState,
  input: ProgramEvent,
  options: EvaluateOptions = {},
): EvaluationResult {
  if (!Number.isFinite(input.time)) throw new ProgramInputError('time', input.time);
  if (input.type === 'reading' && !Number.isFinite(input.value)) {
    throw new ProgramInputError('value', input.value);
  }
  const compiled = compileProgram(program);
  const current = forVersion(state, program);

  if (
    input.type === 'reading' &&
    (input.tenant !== program.tenant || !program.devices.includes(input.device))
  ) {
    return {
      state: current,
      actions: [],
      desired: {},
      trace: {
        time: input.time,
        input: input.type,
        ignored: `reading of ${input.tenant}/${input.device} is outside the program's scope`,
        conditions: [],
        decisions: [],
      },
    };
  }

  if (input.type === 'reading' && options.trace === false) {
    const steady = steadyVerdict(compiled, current, input);
    if (steady !== undefined) return steady;
  }

  const now = current.time === null ? input.time : Math.max(current.time, input.time);
  const series = updateSeries(
    compiled,
    current.series,
    input.type === 'reading' ? input : null,
    now,
  );
  const { outcomes, holds, latches } = evaluateConditions(compiled, series, current, now);
  const decisions: Decisions = { decided: [], uncertain: [] };
  decide(compiled.root, outcomes, [], decisions);

  const ctx: ReasonContext = { compiled, outcomes, now };
  const actions: ProgramAction[] = [];
  const traceDecisions: TraceDecision[] = [];
  // issued and alerts are copied on their first change: most inputs change neither
  let issued: Record<string, IssuedCommand> = current.issued as Record<string, IssuedCommand>;
  let issuedCopied = false;
  const issue = (actuator: string, command: IssuedCommand): void => {
    if (!issuedCopied) {
      issued = { ...issued };
      issuedCopied = true;
    }
    issued[actuator] = command;
  };
  const active: Record<string, number> = {};
  let alerts: Record<string, number> = current.alerts as Record<string, number>;
  // a Map while deciding: a record keyed by actuator ids takes a new object shape per program
  const decided = new Map<string, DesiredCommand>();
  const base = {
    programId: program.id,
    programVersion: program.version,
    tenant: program.tenant,
    time: now,
  };
  const lineage = current.program.lineage;
  const keyPrefix = `${program.id}:v${program.version}${lineage === undefined ? '' : `:${lineage}`}`;

  for (const decision of decisions.decided) {
    const { leaf } = decision;
    const command = leaf.command;
    if (command === null || leaf.actuator === null) {
      const alert = leaf.action as Extract<ActionLeaf['action'], { action: 'alert' }>;
      const since = current.active[leaf.path];
      active[leaf.path] = since ?? now;
      traceDecisions.push({
        path: leaf.path,
        target: 'alert',
        outcome: since === undefined ? 'issued' : 'still_active',
      });
      if (since === undefined) {
        const raised = (alerts[leaf.path] ?? 0) + 1;
        alerts = { ...alerts, [leaf.path]: raised };
        actions.push({
          ...base,
          kind: 'alert',
          severity: alert.severity,
          message: alert.message,
          reason: reasonFor(decision, ctx),
          path: leaf.path,
          idempotencyKey: `${keyPrefix}:alert:${leaf.path}:${raised}`,
        });
      }
      continue;
    }
    const actuator = leaf.actuator;
    if (decided.has(actuator)) {
      // Two leaves of one program decided the same actuator: the first in tree order wins.
      traceDecisions.push({ path: leaf.path, target: actuator, outcome: 'shadowed' });
      continue;
    }
    decided.set(actuator, command);
    const last = issued[actuator];
    let fire: boolean;
    if (command.command === 'pulse') {
      fire = current.active[leaf.path] === undefined;
      active[leaf.path] = current.active[leaf.path] ?? now;
    } else {
      fire =
        !last ||
        last.released === true ||
        last.command !== command.command ||
        !sameParams(last.params, command.params);
    }
    traceDecisions.push({
      path: leaf.path,
      target: actuator,
      outcome: fire ? 'issued' : command.command === 'pulse' ? 'still_active' : 'unchanged',
    });
    if (!fire) continue;
    const seq = (last?.seq ?? 0) + 1;
    issue(actuator, { ...command, time: now, seq });
    actions.push({
      ...base,
      kind: 'command',
      priority: program.priority,
      actuator,
      ...command,
      reason: reasonFor(decision, ctx),
      path: leaf.path,
      idempotencyKey: `${keyPrefix}:${actuator}:${seq}`,
    });
  }

  // Under an unknown condition nothing changes: keep what those leaves had.
  const uncertainActuators = new Set<string>();
  for (const leaf of decisions.uncertain) {
    if (leaf.actuator !== null) uncertainActuators.add(leaf.actuator);
    const since = current.active[leaf.path];
    if (since !== undefined && active[leaf.path] === undefined) active[leaf.path] = since;
  }
  for (const actuator in issued) {
    if (decided.has(actuator) || uncertainActuators.has(actuator)) continue;
    const last = issued[actuator];
    if (last.released) continue;
    issue(actuator, { ...last, released: true });
    traceDecisions.push({ path: '', target: actuator, outcome: 'released' });
  }

  const conditions: TraceCondition[] =
    options.trace === false
      ? []
      : compiled.conditions.map((c) => ({
          path: c.path,
          value: outcomes[c.index].value,
          detail:
            outcomes[c.index].value === null && outcomes[c.index].missing
              ? describeMissing(outcomes[c.index].missing, ctx)
              : describe(c.index, ctx),
        }));

  const nextState: ProgramState = {
    format: 1,
    program: current.program,
    time: now,
    series,
    holds,
    latches,
    issued,
    active,
    alerts,
  };
  recordSteadyVerdict(compiled, nextState, outcomes, decided, traceDecisions);
  let desired: Record<string, DesiredCommand> | undefined;
  return {
    state: nextState,
    actions,
    // built on first read: a record keyed by actuator ids takes a new object shape per program, and
    // the controller's stream evaluation never reads it
    get desired() {
      return (desired ??= Object.fromEntries(decided));
    },
    trace: { time: now, input: input.type, conditions, decisions: traceDecisions },
  };
}
