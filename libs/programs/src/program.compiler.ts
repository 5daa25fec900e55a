/**
 * Compiles a validated program once into flat structures the evaluator walks cheaply: durations in
 * milliseconds, schedules in seconds of day, refs resolved, and every condition in one array in
 * dependency order (children and definitions before their users), so one pass computes all of them.
 */
import { durationMs } from './duration.parser';
import { conditionKindOf, nodeKindOf, type ConditionKind } from './node-kinds';
import type {
  ActionNode,
  Aggregate,
  Condition,
  Operator,
  OrderingOperator,
  Program,
  ProgramNode,
} from './program.schema';
import { parseTimeOfDay, type Weekday, WEEKDAYS } from './wall-clock';
import { joinPath, type PathSegment } from './node-path';
import type { CommandName, CommandParams } from './program-state';

export interface SeriesRef {
  readonly device: string;
  readonly metric: string;
}

export interface ValueSource {
  readonly series: SeriesRef;
  /** Absent: the latest value. */
  readonly aggregate?: { readonly fn: Aggregate; readonly windowMs: number };
}

interface ConditionBase {
  readonly index: number;
  /** Where the condition is written, e.g. `tree.then.condition.and[1]`; also its state key. */
  readonly path: string;
  readonly forMs: number | null;
}

export type CompiledCondition = ConditionBase &
  (
    | {
        readonly kind: 'compare';
        readonly left: ValueSource;
        readonly op: Operator;
        readonly value: number;
      }
    | {
        readonly kind: 'metrics';
        readonly left: ValueSource;
        readonly op: Operator;
        readonly right: ValueSource;
        readonly offset: number;
      }
    | {
        readonly kind: 'hysteresis';
        readonly source: ValueSource;
        readonly on: { readonly op: OrderingOperator; readonly value: number };
        readonly off: { readonly op: OrderingOperator; readonly value: number };
      }
    | {
        readonly kind: 'schedule';
        readonly days: ReadonlySet<Weekday> | null;
        readonly fromSecond: number;
        readonly toSecond: number;
        readonly label: string;
        readonly timezone: string;
      }
    | {
        readonly kind: 'cron';
        readonly expression: string;
        readonly holdMs: number;
        readonly timezone: string;
      }
    | { readonly kind: 'and' | 'or'; readonly children: readonly number[] }
    | { readonly kind: 'not'; readonly child: number }
    | { readonly kind: 'ref'; readonly name: string; readonly child: number }
  );

export type CompiledNode =
  | {
      readonly kind: 'branch';
      readonly path: string;
      readonly condition: number;
      readonly then: CompiledNode;
      readonly else: CompiledNode | null;
      /** Every leaf below (both branches): what an unknown condition leaves undecided. */
      readonly leaves: readonly ActionLeaf[];
    }
  | { readonly kind: 'sequence'; readonly children: readonly CompiledNode[] }
  | ActionLeaf;

export interface ActionLeaf {
  readonly kind: 'action';
  readonly path: string;
  readonly action: ActionNode;
  /** The commanded actuator (defaulted to the program's only one); null for alerts. */
  readonly actuator: string | null;
  /** What the leaf commands (frozen, shared by every evaluation); null for alerts. */
  readonly command: LeafCommand | null;
}

export interface LeafCommand {
  readonly command: CommandName;
  readonly params: CommandParams;
}

function leafCommand(action: ActionNode): LeafCommand | null {
  switch (action.action) {
    case 'set_state':
      return { command: 'set_state', params: Object.freeze({ state: action.state }) };
    case 'set_level':
      return { command: 'set_level', params: Object.freeze({ level: action.level }) };
    case 'pulse':
      return {
        command: 'pulse',
        params: Object.freeze({ state: action.state, durationMs: durationMs(action.duration) }),
      };
    case 'alert':
      return null;
  }
}

export interface CompiledProgram {
  readonly program: Program;
  readonly conditions: readonly CompiledCondition[];
  readonly root: CompiledNode;
  /** device → metric → longest window any condition needs over it (0: latest value only). */
  readonly series: ReadonlyMap<string, ReadonlyMap<string, number>>;
  readonly staleMs: number | null;
}

/** A program that reached the evaluator without passing `parseProgram`. */
export class ProgramCompileError extends Error {
  override readonly name = 'ProgramCompileError';

  constructor(
    readonly programId: string,
    readonly path: string,
    readonly problem: string,
  ) {
    super(`program ${programId}: ${path}: ${problem} (validate programs with parseProgram first)`);
  }
}

function leavesOf(node: CompiledNode): readonly ActionLeaf[] {
  switch (node.kind) {
    case 'action':
      return [node];
    case 'branch':
      return node.leaves;
    case 'sequence':
      return node.children.flatMap(leavesOf);
  }
}

class Compiler {
  readonly conditions: CompiledCondition[] = [];
  readonly series = new Map<string, Map<string, number>>();
  private readonly definitionConditions = new Map<string, number>();
  private readonly definitionNodes = new Map<string, CompiledNode>();
  private readonly inProgress = new Set<string>();

  constructor(private readonly program: Program) {}

  compile(): CompiledProgram {
    const root = this.node(this.program.tree, ['tree']);
    return {
      program: this.program,
      conditions: this.conditions,
      root,
      series: this.series,
      staleMs: this.program.staleAfter === undefined ? null : durationMs(this.program.staleAfter),
    };
  }

  private fail(path: readonly PathSegment[], problem: string): never {
    throw new ProgramCompileError(this.program.id, joinPath(path), problem);
  }

  private definition(name: string, path: readonly PathSegment[]): Condition | ProgramNode {
    const found = this.program.definitions?.[name];
    if (found === undefined) this.fail(path, `unknown definition "${name}"`);
    if (this.inProgress.has(name)) this.fail(path, `reference cycle through "${name}"`);
    return found;
  }

  private node(node: ProgramNode, path: readonly PathSegment[]): CompiledNode {
    const kind = nodeKindOf(node);
    if (kind === null || 'ambiguous' in kind) return this.fail(path, 'not a node');
    switch (kind.kind) {
      case 'branch': {
        const branch = node as Extract<ProgramNode, { condition: unknown }>;
        const condition = this.condition(branch.condition, [...path, 'condition']);
        const then = this.node(branch.then, [...path, 'then']);
        const otherwise =
          branch.else === undefined ? null : this.node(branch.else, [...path, 'else']);
        return {
          kind: 'branch',
          path: joinPath(path),
          condition,
          then,
          else: otherwise,
          leaves: [...leavesOf(then), ...(otherwise ? leavesOf(otherwise) : [])],
        };
      }
      case 'sequence': {
        const sequence = node as Extract<ProgramNode, { do: unknown }>;
        return {
          kind: 'sequence',
          children: sequence.do.map((child, i) => this.node(child, [...path, 'do', i])),
        };
      }
      case 'ref': {
        const name = (node as { ref: string }).ref;
        const cached = this.definitionNodes.get(name);
        if (cached) return cached;
        const definition = this.definition(name, path);
        this.inProgress.add(name);
        const compiled = this.node(definition as ProgramNode, ['definitions', name]);
        this.inProgress.delete(name);
        this.definitionNodes.set(name, compiled);
        return compiled;
      }
      case 'action': {
        const action = node as ActionNode;
        return {
          kind: 'action',
          path: joinPath(path),
          action,
          actuator:
            action.action === 'alert' ? null : (action.actuator ?? this.program.actuators[0]),
          command: leafCommand(action),
        };
      }
    }
  }

  private push(condition: CompiledCondition): number {
    this.conditions.push(condition);
    return condition.index;
  }

  private source(
    spec: { metric: string; device?: string },
    aggregate: { fn: Aggregate; window: string } | undefined,
  ): ValueSource {
    const series = { device: spec.device ?? this.program.devices[0], metric: spec.metric };
    const windowMs = aggregate ? durationMs(aggregate.window) : 0;
    let metrics = this.series.get(series.device);
    if (!metrics) this.series.set(series.device, (metrics = new Map()));
    metrics.set(series.metric, Math.max(metrics.get(series.metric) ?? 0, windowMs));
    return aggregate ? { series, aggregate: { fn: aggregate.fn, windowMs } } : { series };
  }

  private condition(condition: Condition, pathSegments: readonly PathSegment[]): number {
    const kind = conditionKindOf(condition);
    if (kind === null || 'ambiguous' in kind) return this.fail(pathSegments, 'not a condition');
    const base = {
      path: joinPath(pathSegments),
      forMs: condition.for === undefined ? null : durationMs(condition.for),
    };
    return this.conditionOfKind(kind.kind, condition, base, pathSegments);
  }

  private conditionOfKind(
    kind: ConditionKind,
    condition: Condition,
    base: { path: string; forMs: number | null },
    path: readonly PathSegment[],
  ): number {
    const c = condition as Record<string, unknown> & Condition;
    switch (kind) {
      case 'threshold': {
        const t = c as Extract<Condition, { metric: string; value: number }>;
        const left = this.source(t, undefined);
        return this.push({
          ...base,
          index: this.conditions.length,
          kind: 'compare',
          left,
          op: t.op,
          value: t.value,
        });
      }
      case 'aggregate': {
        const a = c as Extract<Condition, { aggregate: Aggregate }>;
        const left = this.source(a, { fn: a.aggregate, window: a.window });
        return this.push({
          ...base,
          index: this.conditions.length,
          kind: 'compare',
          left,
          op: a.op,
          value: a.value,
        });
      }
      case 'comparison': {
        const m = c as Extract<Condition, { metricRef: string }>;
        const left = this.source(m, undefined);
        const right = this.source(
          { metric: m.metricRef, device: m.deviceRef ?? left.series.device },
          undefined,
        );
        return this.push({
          ...base,
          index: this.conditions.length,
          kind: 'metrics',
          left,
          op: m.op,
          right,
          offset: m.offset ?? 0,
        });
      }
      case 'hysteresis': {
        const h = (c as Extract<Condition, { hysteresis: unknown }>).hysteresis;
        const aggregate =
          h.aggregate && h.window ? { fn: h.aggregate, window: h.window } : undefined;
        const source = this.source(h, aggregate);
        return this.push({
          ...base,
          index: this.conditions.length,
          kind: 'hysteresis',
          source,
          on: h.on,
          off: h.off,
        });
      }
      case 'schedule': {
        const s = (c as Extract<Condition, { schedule: unknown }>).schedule;
        const days = s.days ? new Set(s.days) : null;
        const dayLabel = s.days ? `${WEEKDAYS.filter((d) => days?.has(d)).join(',')} ` : '';
        return this.push({
          ...base,
          index: this.conditions.length,
          kind: 'schedule',
          days,
          fromSecond: parseTimeOfDay(s.from),
          toSecond: parseTimeOfDay(s.to),
          label: `${dayLabel}${s.from}–${s.to}`,
          timezone: s.timezone ?? this.program.timezone,
        });
      }
      case 'cron': {
        const k = c as Extract<Condition, { cron: string }>;
        return this.push({
          ...base,
          index: this.conditions.length,
          kind: 'cron',
          expression: k.cron,
          holdMs: k.hold === undefined ? 60_000 : durationMs(k.hold),
          timezone: k.timezone ?? this.program.timezone,
        });
      }
      case 'and':
      case 'or': {
        const list = (c as Record<string, Condition[]>)[kind];
        const children = list.map((child, i) => this.condition(child, [...path, kind, i]));
        return this.push({ ...base, index: this.conditions.length, kind, children });
      }
      case 'not': {
        const child = this.condition((c as { not: Condition }).not, [...path, 'not']);
        return this.push({ ...base, index: this.conditions.length, kind: 'not', child });
      }
      case 'ref': {
        const name = (c as { ref: string }).ref;
        let child = this.definitionConditions.get(name);
        if (child === undefined) {
          const definition = this.definition(name, path);
          this.inProgress.add(name);
          child = this.condition(definition as Condition, ['definitions', name]);
          this.inProgress.delete(name);
          this.definitionConditions.set(name, child);
        }
        return this.push({ ...base, index: this.conditions.length, kind: 'ref', name, child });
      }
    }
  }
}

// Programs are immutable values once parsed; compiling each one once per process keeps the
// per-reading cost to the evaluation itself.
const compiled = new WeakMap<Program, CompiledProgram>();

export function compileProgram(program: Program): CompiledProgram {
  let result = compiled.get(program);
  if (!result) {
    result = new Compiler(program).compile();
    compiled.set(program, result);
  }
  return result;
}

/**
 * Whether the program's verdict can change with time alone (`for`, schedules, cron, windows,
 * staleAfter): only such programs need the controller's ticks; the others change only on readings.
 */
export function needsTicks(program: Program): boolean {
  const compiled = compileProgram(program);
  return (
    compiled.staleMs !== null ||
    compiled.conditions.some(
      (c) =>
        c.forMs !== null ||
        c.kind === 'schedule' ||
        c.kind === 'cron' ||
        (c.kind === 'compare' && c.left.aggregate !== undefined) ||
        (c.kind === 'hysteresis' && c.source.aggregate !== undefined),
    )
  );
}

/**
 * Whether each reading replaces everything the program's next decision reads: it needs no ticks
 * and reads only the latest value of one series (one device and metric, no window). For such a
 * program, states that differ only in that latest value and time (`differsOnlyInLatestReadings`)
 * decide the same on the next reading that is newer than both.
 */
export function decidesOnLatestReadingOnly(program: Program): boolean {
  if (needsTicks(program)) return false;
  const { series } = compileProgram(program);
  if (series.size !== 1) return false;
  const [metrics] = series.values();
  if (metrics.size !== 1) return false;
  const [windowMs] = metrics.values();
  return windowMs === 0;
}
