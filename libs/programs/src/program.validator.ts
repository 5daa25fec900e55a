/**
 * Validation beyond shape. zod checks each node's own fields; this walker decides which construct
 * each JSON object is (so a bad node yields "unknown field thn — did you mean then?" instead of a
 * union's "no variant matched"), descends into children itself, and adds the checks a schema
 * cannot express: known metrics, devices and actuators, references and their cycles, branches that
 * cannot end in an action, overlapping hysteresis thresholds, empty schedules, cron expressions.
 * Every issue is collected; nothing stops at the first.
 */
import { CronExpressionParser } from 'cron-parser';
import type { z } from 'zod';
import { parseDuration } from './duration.parser';
import { conditionKindOf, CONSTRUCT_KEYS, nodeKindOf, type ConditionKind } from './node-kinds';
import type { ProgramIssue, ProgramIssueCode } from './program.errors';
import { ProgramValidationError } from './program.errors';
import {
  ACTIONS,
  AggregateConditionSchema,
  AlertActionSchema,
  AndConditionSchema,
  BranchNodeSchema,
  CronConditionSchema,
  DEFINITION_NAME_PATTERN,
  HysteresisConditionSchema,
  MetricComparisonConditionSchema,
  NotConditionSchema,
  OrConditionSchema,
  ProgramSchema,
  PulseActionSchema,
  RefConditionSchema,
  RefNodeSchema,
  ScheduleConditionSchema,
  SequenceNodeSchema,
  SetLevelActionSchema,
  SetStateActionSchema,
  ThresholdConditionSchema,
  type OrderingOperator,
  type Program,
} from './program.schema';
import { didYouMean } from './suggest';
import { isValidTimeZone, parseTimeOfDay } from './wall-clock';
import { joinPath, type PathSegment } from './node-path';
import { describeValue, issuesFromZod } from './zod-issue.mapper';

/** What the caller knows about the tenant, so names can be checked and corrected. */
export interface ValidationContext {
  /** Known metric names: one list for all devices, or per device id. */
  readonly metrics?: readonly string[] | Readonly<Record<string, readonly string[]>>;
  /** Known device ids of the tenant. */
  readonly devices?: readonly string[];
  /** Known actuator ids of the tenant. */
  readonly actuators?: readonly string[];
}

export type ProgramValidationResult =
  | { readonly ok: true; readonly program: Program; readonly issues: readonly [] }
  | { readonly ok: false; readonly issues: readonly ProgramIssue[] };

type Path = readonly PathSegment[];
type RefExpectation = 'condition' | 'node' | 'any';
type DefinitionKind = 'condition' | 'node' | 'alias';

const CONDITION_SCHEMAS: Record<ConditionKind, z.ZodType> = {
  threshold: ThresholdConditionSchema,
  aggregate: AggregateConditionSchema,
  comparison: MetricComparisonConditionSchema,
  hysteresis: HysteresisConditionSchema,
  schedule: ScheduleConditionSchema,
  cron: CronConditionSchema,
  and: AndConditionSchema,
  or: OrConditionSchema,
  not: NotConditionSchema,
  ref: RefConditionSchema,
};

const ACTION_SCHEMAS: Record<(typeof ACTIONS)[number], z.ZodType> = {
  set_state: SetStateActionSchema,
  set_level: SetLevelActionSchema,
  pulse: PulseActionSchema,
  alert: AlertActionSchema,
};

const NODE_FORMS =
  'an action {"action": …}, a branch {"condition": …, "then": …, "else": …}, {"do": [...]} or {"ref": name}';

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function stringArray(value: unknown): string[] | null {
  return Array.isArray(value) && value.every((item) => typeof item === 'string') ? value : null;
}

/** The open interval of values an ordering threshold accepts: (lo, hi), ends possibly closed. */
function interval(op: OrderingOperator, value: number) {
  return op === '>' || op === '>='
    ? { lo: value, loClosed: op === '>=', hi: Infinity, hiClosed: false }
    : { lo: -Infinity, loClosed: false, hi: value, hiClosed: op === '<=' };
}

/** A value both thresholds accept, or null when they are disjoint (a valid hysteresis band). */
function overlapWitness(
  on: { op: OrderingOperator; value: number },
  off: { op: OrderingOperator; value: number },
): number | null {
  const a = interval(on.op, on.value);
  const b = interval(off.op, off.value);
  const lo = Math.max(a.lo, b.lo);
  const hi = Math.min(a.hi, b.hi);
  const loClosed = (a.lo === lo ? a.loClosed : true) && (b.lo === lo ? b.loClosed : true);
  const hiClosed = (a.hi === hi ? a.hiClosed : true) && (b.hi === hi ? b.hiClosed : true);
  if (lo < hi) {
    if (Number.isFinite(lo) && Number.isFinite(hi)) return (lo + hi) / 2;
    return Number.isFinite(lo) ? lo + 1 : hi - 1;
  }
  return lo === hi && loClosed && hiClosed ? lo : null;
}

class ProgramChecker {
  readonly issues: ProgramIssue[] = [];
  private readonly refs: Array<{ name: string; path: Path; expected: RefExpectation }> = [];
  private readonly definitionKinds = new Map<string, DefinitionKind>();
  private readonly definitionRefs = new Map<string, Set<string>>();
  private currentDefinition: string | null = null;
  private devices: string[] | null = null;
  private actuators: string[] | null = null;
  private timezone = 'UTC';

  constructor(private readonly context: ValidationContext) {}

  checkProgram(input: unknown): void {
    if (!isRecord(input)) {
      this.add([], 'invalid_type', `a program must be a JSON object, got ${describeValue(input)}`);
      return;
    }
    this.checkOwnFields(ProgramSchema, input, [], ['tree', 'definitions']);
    this.devices = stringArray(input.devices);
    this.actuators = stringArray(input.actuators);
    if (typeof input.timezone === 'string' && isValidTimeZone(input.timezone)) {
      this.timezone = input.timezone;
    }
    this.checkKnownIds(this.devices, this.context.devices, 'devices', 'unknown_device', 'device');
    this.checkKnownIds(
      this.actuators,
      this.context.actuators,
      'actuators',
      'unknown_actuator',
      'actuator',
    );
    if (input.definitions !== undefined) this.checkDefinitions(input.definitions);
    if (input.tree === undefined) {
      this.add(['tree'], 'missing_leaf', `a program needs a "tree": ${NODE_FORMS}`);
    } else {
      this.checkNode(input.tree, ['tree']);
    }
    this.checkRefs();
    this.checkCycles();
  }

  private add(path: Path, code: ProgramIssueCode, message: string): void {
    this.issues.push({ path: joinPath(path), code, message });
  }

  /** zod's verdict on a node's own fields; children are walked separately by the caller. */
  private checkOwnFields(
    schema: z.ZodType,
    value: Record<string, unknown>,
    path: Path,
    childKeys: readonly string[],
  ): void {
    const result = schema.safeParse(value, { reportInput: true });
    if (result.success) return;
    for (const issue of result.error.issues) {
      const first = issue.path[0];
      if (typeof first === 'string' && childKeys.includes(first)) continue;
      this.issues.push(...issuesFromZod(issue, path, schema));
    }
  }

  private checkKnownIds(
    ids: string[] | null,
    known: readonly string[] | undefined,
    field: string,
    code: ProgramIssueCode,
    noun: string,
  ): void {
    if (!ids || !known) return;
    ids.forEach((id, index) => {
      if (!known.includes(id)) {
        this.add(
          [field, index],
          code,
          `unknown ${noun} ${JSON.stringify(id)}${didYouMean(id, known)}`,
        );
      }
    });
  }

  private checkDefinitions(definitions: unknown): void {
    if (!isRecord(definitions)) {
      this.add(
        ['definitions'],
        'invalid_type',
        `expected an object of named conditions and sub-trees, got ${describeValue(definitions)}`,
      );
      return;
    }
    for (const [name, definition] of Object.entries(definitions)) {
      const path = ['definitions', name];
      if (!DEFINITION_NAME_PATTERN.test(name)) {
        this.add(
          path,
          'invalid_value',
          `definition name ${JSON.stringify(name)} must start with a letter or "_" and contain only letters, digits, "_" and "-" (at most 64)`,
        );
      }
      this.currentDefinition = name;
      this.definitionRefs.set(name, new Set());
      const node = isRecord(definition) ? nodeKindOf(definition) : null;
      if (isRecord(definition) && node && 'kind' in node && node.kind === 'ref') {
        // { "ref": other } alone is an alias: it is whatever its target is.
        this.definitionKinds.set(name, 'alias');
        this.checkRef(definition, path, 'any', RefConditionSchema);
      } else if (node) {
        this.definitionKinds.set(name, 'node');
        this.checkNode(definition, path);
      } else {
        this.definitionKinds.set(name, 'condition');
        this.checkCondition(definition, path);
      }
    }
    this.currentDefinition = null;
  }

  private checkNode(value: unknown, path: Path): void {
    if (!isRecord(value)) {
      this.add(
        path,
        'invalid_type',
        `expected a node (${NODE_FORMS}), got ${describeValue(value)}`,
      );
      return;
    }
    const kind = nodeKindOf(value);
    if (kind === null) {
      if (conditionKindOf(value) !== null) {
        this.add(
          path,
          'missing_leaf',
          `a condition cannot stand here, nothing would be done when it holds: wrap it as {"condition": …, "then": <action>}`,
        );
      } else {
        this.unknownConstruct(value, path, `expected ${NODE_FORMS}`);
      }
      return;
    }
    if ('ambiguous' in kind) {
      this.add(
        path,
        'ambiguous_node',
        `a node has exactly one of ${kind.ambiguous.map((key) => `"${key}"`).join(', ')}: split it into separate nodes`,
      );
      return;
    }
    switch (kind.kind) {
      case 'branch':
        this.checkOwnFields(BranchNodeSchema, value, path, ['condition', 'then', 'else']);
        this.checkCondition(value.condition, [...path, 'condition']);
        if (value.then === undefined) {
          this.add(
            [...path, 'then'],
            'missing_leaf',
            `missing leaf: a branch needs a "then" node that ends in an action (${NODE_FORMS})`,
          );
        } else {
          this.checkNode(value.then, [...path, 'then']);
        }
        if (value.else !== undefined) this.checkNode(value.else, [...path, 'else']);
        return;
      case 'sequence':
        this.checkOwnFields(SequenceNodeSchema, value, path, ['do']);
        if (!Array.isArray(value.do)) {
          this.add(
            [...path, 'do'],
            'invalid_type',
            `expected an array of nodes, got ${describeValue(value.do)}`,
          );
        } else if (value.do.length === 0) {
          this.add(
            [...path, 'do'],
            'missing_leaf',
            'missing leaf: an empty "do" list issues nothing',
          );
        } else {
          value.do.forEach((child, index) => this.checkNode(child, [...path, 'do', index]));
        }
        return;
      case 'ref':
        this.checkRef(value, path, 'node', RefNodeSchema);
        return;
      case 'action':
        this.checkAction(value, path);
        return;
    }
  }

  private unknownConstruct(value: Record<string, unknown>, path: Path, expected: string): void {
    const keys = Object.keys(value);
    const hints = keys.map((key) => didYouMean(key, CONSTRUCT_KEYS)).filter((hint) => hint !== '');
    const found =
      keys.length === 0 ? 'an empty object' : `keys ${keys.map((k) => `"${k}"`).join(', ')}`;
    this.add(path, 'unknown_node', `unrecognised node with ${found}${hints[0] ?? ''}; ${expected}`);
  }

  private checkRef(
    value: Record<string, unknown>,
    path: Path,
    expected: RefExpectation,
    schema: z.ZodType,
  ): void {
    this.checkOwnFields(schema, value, path, []);
    if (typeof value.ref !== 'string') return;
    this.refs.push({ name: value.ref, path: [...path, 'ref'], expected });
    if (this.currentDefinition !== null) {
      this.definitionRefs.get(this.currentDefinition)?.add(value.ref);
    }
  }

  private checkAction(value: Record<string, unknown>, path: Path): void {
    const action = value.action;
    const schema =
      typeof action === 'string' ? ACTION_SCHEMAS[action as (typeof ACTIONS)[number]] : undefined;
    if (!schema) {
      const hint = typeof action === 'string' ? didYouMean(action, ACTIONS) : '';
      this.add(
        [...path, 'action'],
        'invalid_value',
        `unknown action ${JSON.stringify(action)}${hint} (expected ${ACTIONS.join(', ')})`,
      );
      return;
    }
    this.checkOwnFields(schema, value, path, []);
    if (action !== 'alert') this.checkActuator(value.actuator, path);
  }

  private checkActuator(actuator: unknown, path: Path): void {
    if (!this.actuators) return;
    if (actuator === undefined) {
      if (this.actuators.length > 1) {
        this.add(
          [...path, 'actuator'],
          'missing_field',
          `"actuator" is required: the program drives several actuators (${this.actuators.join(', ')})`,
        );
      }
      return;
    }
    if (typeof actuator === 'string' && !this.actuators.includes(actuator)) {
      this.add(
        [...path, 'actuator'],
        'unknown_actuator',
        `actuator ${JSON.stringify(actuator)} is not one of the program's actuators (${this.actuators.join(', ')})${didYouMean(actuator, this.actuators)}`,
      );
    }
  }

  private checkCondition(value: unknown, path: Path): void {
    if (value === undefined) {
      this.add(
        path,
        'missing_field',
        `"${String(path[path.length - 1])}" is required: a condition`,
      );
      return;
    }
    if (!isRecord(value)) {
      this.add(path, 'invalid_type', `expected a condition, got ${describeValue(value)}`);
      return;
    }
    const kind = conditionKindOf(value);
    if (kind === null) {
      if (nodeKindOf(value) !== null) {
        this.add(path, 'invalid_type', 'expected a condition, found an action or branch node');
      } else {
        this.unknownConstruct(
          value,
          path,
          'expected a condition (metric, aggregate, metricRef, hysteresis, schedule, cron, and, or, not, ref)',
        );
      }
      return;
    }
    if ('ambiguous' in kind) {
      this.add(
        path,
        'ambiguous_node',
        `a condition has exactly one of ${kind.ambiguous.map((key) => `"${key}"`).join(', ')}: combine conditions with "and" / "or"`,
      );
      return;
    }
    const schema = CONDITION_SCHEMAS[kind.kind];
    switch (kind.kind) {
      case 'and':
      case 'or':
        this.checkOwnFields(schema, value, path, [kind.kind]);
        this.checkConditionList(value[kind.kind], [...path, kind.kind]);
        return;
      case 'not':
        this.checkOwnFields(schema, value, path, ['not']);
        this.checkCondition(value.not, [...path, 'not']);
        return;
      case 'ref':
        this.checkRef(value, path, 'condition', schema);
        return;
      case 'threshold':
      case 'aggregate':
        this.checkOwnFields(schema, value, path, []);
        this.checkMetric(value.metric, value.device, path, 'metric', 'device');
        return;
      case 'comparison': {
        this.checkOwnFields(schema, value, path, []);
        const device = this.checkMetric(value.metric, value.device, path, 'metric', 'device');
        this.checkMetric(
          value.metricRef,
          value.deviceRef ?? device,
          path,
          'metricRef',
          'deviceRef',
        );
        return;
      }
      case 'hysteresis':
        this.checkOwnFields(schema, value, path, []);
        if (isRecord(value.hysteresis))
          this.checkHysteresis(value.hysteresis, [...path, 'hysteresis']);
        return;
      case 'schedule':
        this.checkOwnFields(schema, value, path, []);
        if (isRecord(value.schedule)) this.checkSchedule(value.schedule, [...path, 'schedule']);
        return;
      case 'cron':
        this.checkOwnFields(schema, value, path, []);
        this.checkCron(value, path);
        return;
    }
  }

  private checkConditionList(list: unknown, path: Path): void {
    if (!Array.isArray(list)) {
      this.add(path, 'invalid_type', `expected an array of conditions, got ${describeValue(list)}`);
    } else if (list.length === 0) {
      this.add(path, 'invalid_value', 'must list at least one condition');
    } else {
      list.forEach((child, index) => this.checkCondition(child, [...path, index]));
    }
  }

  /** Checks a metric reference and returns the device it reads, when that is determined. */
  private checkMetric(
    metric: unknown,
    device: unknown,
    path: Path,
    metricField: string,
    deviceField: string,
  ): string | null {
    let resolved: string | null = null;
    if (this.devices) {
      if (device === undefined) {
        if (this.devices.length === 1) resolved = this.devices[0];
        else if (deviceField === 'device' && this.devices.length > 1) {
          this.add(
            [...path, deviceField],
            'missing_field',
            `"device" is required: the program reads several devices (${this.devices.join(', ')})`,
          );
        }
      } else if (typeof device === 'string') {
        if (this.devices.includes(device)) resolved = device;
        else {
          this.add(
            [...path, deviceField],
            'unknown_device',
            `device ${JSON.stringify(device)} is not one of the program's devices (${this.devices.join(', ')})${didYouMean(device, this.devices)}`,
          );
        }
      }
    }
    const known = this.knownMetrics(resolved);
    if (typeof metric === 'string' && known && !known.includes(metric)) {
      const hint = didYouMean(metric, known);
      const listing = hint === '' ? ` (known: ${known.slice(0, 10).join(', ')})` : '';
      this.add(
        [...path, metricField],
        'unknown_metric',
        `unknown metric ${JSON.stringify(metric)}${hint}${listing}`,
      );
    }
    return resolved;
  }

  private knownMetrics(device: string | null): readonly string[] | null {
    const metrics = this.context.metrics;
    if (metrics === undefined) return null;
    if (Array.isArray(metrics)) return metrics;
    const perDevice = metrics as Readonly<Record<string, readonly string[]>>;
    return device !== null ? (perDevice[device] ?? null) : null;
  }

  private checkHysteresis(spec: Record<string, unknown>, path: Path): void {
    this.checkMetric(spec.metric, spec.device, path, 'metric', 'device');
    if ((spec.aggregate === undefined) !== (spec.window === undefined)) {
      this.add(
        path,
        'bad_hysteresis',
        '"aggregate" and "window" go together: give both to latch on a window aggregate, or neither',
      );
    }
    const on = spec.on;
    const off = spec.off;
    if (!isRecord(on) || !isRecord(off)) return;
    if (typeof on.value !== 'number' || typeof off.value !== 'number') return;
    const ordering = ['>', '>=', '<', '<='];
    if (!ordering.includes(on.op as string) || !ordering.includes(off.op as string)) return;
    const witness = overlapWitness(
      { op: on.op as OrderingOperator, value: on.value },
      { op: off.op as OrderingOperator, value: off.value },
    );
    if (witness !== null) {
      this.add(
        [...path, 'off'],
        'bad_hysteresis',
        `"on" (${String(on.op)} ${on.value}) and "off" (${String(off.op)} ${off.value}) overlap: a value of ${witness} satisfies both; the off-threshold must lie on the other side of the on-threshold`,
      );
    }
  }

  private checkSchedule(spec: Record<string, unknown>, path: Path): void {
    if (typeof spec.from !== 'string' || typeof spec.to !== 'string') return;
    if (spec.from.startsWith('24')) {
      this.add([...path, 'from'], 'bad_schedule', '"from" must be before 24:00 (use "00:00")');
    } else if (parseTimeOfDay(spec.from) === parseTimeOfDay(spec.to)) {
      this.add(
        [...path, 'to'],
        'bad_schedule',
        `"from" and "to" are both ${JSON.stringify(spec.to)}, an empty range; for a whole day use "00:00" to "24:00"`,
      );
    }
  }

  private checkCron(value: Record<string, unknown>, path: Path): void {
    if (typeof value.cron !== 'string') return;
    const tz =
      typeof value.timezone === 'string' && isValidTimeZone(value.timezone)
        ? value.timezone
        : this.timezone;
    try {
      CronExpressionParser.parse(value.cron, { tz, strict: false });
    } catch (error: unknown) {
      const reason = error instanceof Error ? error.message : String(error);
      this.add(
        [...path, 'cron'],
        'bad_cron',
        `cron expression ${JSON.stringify(value.cron)} does not parse: ${reason}`,
      );
      return;
    }
    const holdMs = typeof value.hold === 'string' ? parseDuration(value.hold) : 60_000;
    const forMs = typeof value.for === 'string' ? parseDuration(value.for) : null;
    if (holdMs !== null && forMs !== null && forMs > holdMs) {
      this.add(
        [...path, 'for'],
        'bad_cron',
        `"for" (${String(value.for)}) is longer than the trigger's hold (${typeof value.hold === 'string' ? value.hold : '1m'}): it could never be true`,
      );
    }
  }

  private checkRefs(): void {
    for (const { name, path, expected } of this.refs) {
      const kind = this.resolveKind(name, new Set());
      if (kind === undefined) {
        this.add(
          path,
          'unknown_ref',
          `unknown definition ${JSON.stringify(name)}${didYouMean(name, this.definitionKinds.keys())}`,
        );
      } else if (kind !== null && expected !== 'any' && kind !== expected) {
        this.add(
          path,
          'ref_kind',
          expected === 'node'
            ? `missing leaf: ${JSON.stringify(name)} is a condition, but an action node is needed here (a branch must end in an action)`
            : `${JSON.stringify(name)} is a sub-tree of actions, but a condition is needed here`,
        );
      }
    }
  }

  /** Kind a definition resolves to through aliases; undefined = no such name, null = a cycle. */
  private resolveKind(name: string, seen: Set<string>): 'condition' | 'node' | null | undefined {
    const kind = this.definitionKinds.get(name);
    if (kind !== 'alias') return kind;
    if (seen.has(name)) return null;
    seen.add(name);
    const [target] = this.definitionRefs.get(name) ?? [];
    return target === undefined ? undefined : this.resolveKind(target, seen);
  }

  /** Depth-first search over definition → referenced definitions; each cycle reported once. */
  private checkCycles(): void {
    const done = new Set<string>();
    const reported = new Set<string>();
    const stack: string[] = [];
    const visit = (name: string): void => {
      if (done.has(name)) return;
      const at = stack.indexOf(name);
      if (at >= 0) {
        const cycle = [...stack.slice(at), name];
        const key = [...cycle.slice(0, -1)].sort().join('\u0000');
        if (!reported.has(key)) {
          reported.add(key);
          this.add(
            ['definitions', name],
            'cycle',
            `reference cycle ${cycle.join(' → ')}: a definition cannot contain itself`,
          );
        }
        return;
      }
      stack.push(name);
      for (const target of this.definitionRefs.get(name) ?? []) {
        if (this.definitionKinds.has(target)) visit(target);
      }
      stack.pop();
      done.add(name);
    };
    for (const name of this.definitionKinds.keys()) visit(name);
  }
}

/** Checks a program (parsed JSON of unknown shape) and returns every issue, or the typed program. */
export function validateProgram(
  input: unknown,
  context: ValidationContext = {},
): ProgramValidationResult {
  const checker = new ProgramChecker(context);
  checker.checkProgram(input);
  if (checker.issues.length > 0) return { ok: false, issues: checker.issues };
  // The walker checked every node with the same zod schemas; this parse applies defaults and types
  // the result. Should it still disagree, its issues are reported rather than lost.
  const parsed = ProgramSchema.safeParse(input, { reportInput: true });
  if (!parsed.success) {
    return {
      ok: false,
      issues: parsed.error.issues.flatMap((issue) => issuesFromZod(issue, [], ProgramSchema)),
    };
  }
  return { ok: true, program: parsed.data, issues: [] };
}

/** `validateProgram` for callers that want a typed program or an exception. */
export function parseProgram(input: unknown, context: ValidationContext = {}): Program {
  const result = validateProgram(input, context);
  if (!result.ok) throw new ProgramValidationError(result.issues);
  return result.program;
}
