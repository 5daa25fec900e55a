/**
 * Human-readable statements of why a condition had the value it had, e.g.
 * "temperature 28.4 > 28 for 5m since 10:03:00". Every statement is true as written: a false
 * comparison is rendered with the negated operator ("temperature 27 <= 28"), never as "not …".
 * Rendering happens only for the conditions on the path to an issued action (and for traces), so
 * evaluations that change nothing never build strings.
 */
import type { ConditionOutcome, MissingReason } from './condition.evaluator';
import { formatDuration } from './duration.parser';
import type {
  CompiledCondition,
  CompiledProgram,
  SeriesRef,
  ValueSource,
} from './program.compiler';
import type { Operator } from './program.schema';
import { formatLocalTime } from './wall-clock';

const NEGATED: Record<Operator, Operator> = {
  '>': '<=',
  '>=': '<',
  '<': '>=',
  '<=': '>',
  '==': '!=',
  '!=': '==',
};

export function formatNumber(value: number): string {
  return Number.isInteger(value) ? String(value) : String(Number(value.toPrecision(6)));
}

export interface ReasonContext {
  readonly compiled: CompiledProgram;
  readonly outcomes: readonly ConditionOutcome[];
  readonly now: number;
}

function seriesName(series: SeriesRef, ctx: ReasonContext): string {
  return ctx.compiled.program.devices.length > 1
    ? `${series.device} ${series.metric}`
    : series.metric;
}

function sourceName(source: ValueSource, ctx: ReasonContext): string {
  const name = seriesName(source.series, ctx);
  return source.aggregate
    ? `${source.aggregate.fn}(${name}, ${formatDuration(source.aggregate.windowMs)})`
    : name;
}

function time(at: number, ctx: ReasonContext): string {
  return formatLocalTime(at, ctx.compiled.program.timezone, ctx.now);
}

export function describeMissing(missing: MissingReason | undefined, ctx: ReasonContext): string {
  if (!missing) return 'unknown';
  const name = seriesName(missing.series, ctx);
  switch (missing.kind) {
    case 'no_value':
      return `no reading of ${name} yet`;
    case 'stale':
      return `${name} is stale (last reading ${time(missing.at, ctx)})`;
    case 'partial_window':
      return `${name} observed for only ${formatDuration(missing.observedMs)}, less than the window`;
    case 'empty_window':
      return `no reading of ${name} in the window`;
  }
}

/** What the condition's raw value (before `for`) says about the data. */
function describeRaw(c: CompiledCondition, o: ConditionOutcome, ctx: ReasonContext): string {
  if (o.raw === null) {
    if (c.kind === 'and' || c.kind === 'or' || c.kind === 'not' || c.kind === 'ref') {
      return describeChildren(c, o, ctx);
    }
    return describeMissing(o.missing, ctx);
  }
  const holds = o.raw;
  switch (c.kind) {
    case 'compare': {
      const op = holds ? c.op : NEGATED[c.op];
      return `${sourceName(c.left, ctx)} ${formatNumber(o.left ?? NaN)} ${op} ${formatNumber(c.value)}`;
    }
    case 'metrics': {
      const op = holds ? c.op : NEGATED[c.op];
      const offset =
        c.offset === 0 ? '' : ` ${c.offset > 0 ? '+' : '-'} ${formatNumber(Math.abs(c.offset))}`;
      return `${sourceName(c.left, ctx)} ${formatNumber(o.left ?? NaN)} ${op} ${sourceName(c.right, ctx)} ${formatNumber(o.right ?? NaN)}${offset}`;
    }
    case 'hysteresis': {
      const name = sourceName(c.source, ctx);
      const x = formatNumber(o.left ?? NaN);
      const latch = o.latch;
      const band = `on ${c.on.op} ${formatNumber(c.on.value)}, off ${c.off.op} ${formatNumber(c.off.value)}`;
      if (latch && latch.flipped) {
        const t = holds ? c.on : c.off;
        return `${name} ${x} ${t.op} ${formatNumber(t.value)} (hysteresis ${holds ? 'on' : 'off'})`;
      }
      // With `for`, the hold's "since" follows and says the same; don't print it twice.
      const since = latch && o.holdSince === undefined ? ` since ${time(latch.since, ctx)}` : '';
      return `${name} ${x}, hysteresis ${holds ? 'on' : 'off'}${since} (${band})`;
    }
    case 'schedule': {
      const clock = o.clock;
      const now = clock ? ` (${clock.weekday} ${clock.time} ${c.timezone})` : '';
      return `${holds ? 'within' : 'outside'} schedule ${c.label}${now}`;
    }
    case 'cron':
      return holds
        ? `cron "${c.expression}" fired at ${time(o.occurrence ?? ctx.now, ctx)}`
        : `cron "${c.expression}" not due (last ${time(o.occurrence ?? ctx.now, ctx)})`;
    case 'and':
    case 'or':
    case 'not':
    case 'ref':
      return describeChildren(c, o, ctx);
  }
}

function describeChildren(c: CompiledCondition, o: ConditionOutcome, ctx: ReasonContext): string {
  switch (c.kind) {
    case 'not':
      return describe(c.child, ctx);
    case 'ref':
      return `${c.name}: ${describe(c.child, ctx)}`;
    case 'and':
    case 'or': {
      // Name only the children that explain the result: for a true "or" the true ones, for a
      // false "and" the false ones, otherwise (all were needed) every child.
      const decisive = o.raw === null ? null : c.kind === 'or' ? o.raw : !o.raw;
      const shown = c.children.filter((child) => {
        const v = ctx.outcomes[child].value;
        if (decisive === true) return v === (c.kind === 'or');
        if (o.raw === null) return v === null;
        return true;
      });
      return shown
        .map((child) => describe(child, ctx))
        .join(c.kind === 'or' && o.raw ? ' or ' : ' and ');
    }
    default:
      return describeMissing(o.missing, ctx);
  }
}

/** A true statement about condition `index` at this evaluation, `for` included. */
export function describe(index: number, ctx: ReasonContext): string {
  const c = ctx.compiled.conditions[index];
  const o = ctx.outcomes[index];
  const raw = describeRaw(c, o, ctx);
  if (c.forMs === null || o.holdSince === undefined) return raw;
  const held = ctx.now - o.holdSince;
  return o.value
    ? `${raw} for ${formatDuration(c.forMs)} since ${time(o.holdSince, ctx)}`
    : `${raw} for only ${formatDuration(held)} of ${formatDuration(c.forMs)} (since ${time(o.holdSince, ctx)})`;
}
