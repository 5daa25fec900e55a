/**
 * The program language: zod schemas are the single source of the TypeScript types, the runtime
 * shape check and the published JSON Schema (schemas/program.schema.json).
 *
 * Nodes are told apart by their distinguishing key (`condition`, `do`, `action`, `ref`; `and`,
 * `metric`, `hysteresis`, …) rather than by a `type` field, so programs read like the sentence
 * they encode. Every object is strict: a misspelt key is an error, never silently ignored.
 */
import { z } from 'zod';
import { DeviceIdSchema, MetricNameSchema, TenantIdSchema } from '@sluice/contracts';
import { DURATION_PATTERN, parseDuration } from './duration.parser';
import { isValidTimeZone, WEEKDAYS } from './wall-clock';

export const OPERATORS = ['>', '>=', '<', '<=', '==', '!='] as const;
export const ORDERING_OPERATORS = ['>', '>=', '<', '<='] as const;
export const AGGREGATES = ['avg', 'min', 'max', 'sum', 'count'] as const;
export const ACTIONS = ['set_state', 'set_level', 'pulse', 'alert'] as const;
export const SEVERITIES = ['info', 'warning', 'critical'] as const;
export const TIME_OF_DAY_PATTERN = /^(?:(?:[01]\d|2[0-3]):[0-5]\d(?::[0-5]\d)?|24:00(?::00)?)$/;
export const DEFINITION_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_-]{0,63}$/;

export type Operator = (typeof OPERATORS)[number];
export type OrderingOperator = (typeof ORDERING_OPERATORS)[number];
export type Aggregate = (typeof AGGREGATES)[number];

export const DurationSchema = z
  .string()
  .regex(DURATION_PATTERN, {
    abort: true,
    error: (issue) =>
      `duration ${JSON.stringify(issue.input)} does not parse: write a number and a unit (ms, s, m, h, d), largest unit first, e.g. "30s", "5m", "1h30m"`,
  })
  .refine((text) => parseDuration(text) !== null, {
    error: 'duration must be greater than zero',
    params: { code: 'bad_duration' },
  })
  .meta({ description: 'A positive duration: "250ms", "30s", "5m", "1h30m", "2d".' });

export const TimeZoneSchema = z
  .string()
  .refine(isValidTimeZone, {
    error: (issue) => `unknown time zone ${JSON.stringify(issue.input)}`,
    params: { code: 'bad_timezone' },
  })
  .meta({ description: 'An IANA time zone name such as "Europe/Berlin", or "UTC".' });

export const TimeOfDaySchema = z
  .string()
  .regex(TIME_OF_DAY_PATTERN, {
    error: (issue) =>
      `time of day ${JSON.stringify(issue.input)} is not HH:MM or HH:MM:SS between 00:00 and 24:00`,
  })
  .meta({ description: 'Local wall-clock time, "HH:MM" or "HH:MM:SS"; "24:00" ends the day.' });

const OperatorSchema = z.enum(OPERATORS);
const OrderingOperatorSchema = z.enum(ORDERING_OPERATORS);
const DefinitionNameSchema = z.string().regex(DEFINITION_NAME_PATTERN);

/** `for` is allowed on every condition: it must then have held continuously that long. */
const HoldForSchema = DurationSchema.optional().meta({
  description: 'The condition counts as true only after it has held continuously this long.',
});
const deviceField = {
  device: DeviceIdSchema.optional().meta({
    description: "Which of the program's devices; required when the program has several.",
  }),
};

// ---- conditions -------------------------------------------------------------------------------

export const ThresholdConditionSchema = z
  .strictObject({
    metric: MetricNameSchema,
    ...deviceField,
    op: OperatorSchema,
    value: z.number(),
    for: HoldForSchema,
  })
  .meta({ id: 'ThresholdCondition', description: 'Latest value of a metric against a constant.' });

export const AggregateConditionSchema = z
  .strictObject({
    aggregate: z.enum(AGGREGATES),
    metric: MetricNameSchema,
    ...deviceField,
    window: DurationSchema,
    op: OperatorSchema,
    value: z.number(),
    for: HoldForSchema,
  })
  .meta({
    id: 'AggregateCondition',
    description: 'An aggregate of the readings in the sliding window (now - window, now].',
  });

export const MetricComparisonConditionSchema = z
  .strictObject({
    metric: MetricNameSchema,
    ...deviceField,
    op: OperatorSchema,
    metricRef: MetricNameSchema,
    deviceRef: DeviceIdSchema.optional(),
    offset: z.number().optional(),
    for: HoldForSchema,
  })
  .meta({
    id: 'MetricComparisonCondition',
    description: 'Latest value of one metric against another: metric op metricRef + offset.',
  });

const HysteresisThresholdSchema = z.strictObject({ op: OrderingOperatorSchema, value: z.number() });

export const HysteresisConditionSchema = z
  .strictObject({
    hysteresis: z.strictObject({
      metric: MetricNameSchema,
      ...deviceField,
      aggregate: z.enum(AGGREGATES).optional(),
      window: DurationSchema.optional(),
      on: HysteresisThresholdSchema,
      off: HysteresisThresholdSchema,
    }),
    for: HoldForSchema,
  })
  .meta({
    id: 'HysteresisCondition',
    description: 'A latch: turns true when `on` holds, stays true until `off` holds. Starts false.',
  });

export const ScheduleConditionSchema = z
  .strictObject({
    schedule: z.strictObject({
      days: z.array(z.enum(WEEKDAYS)).min(1).optional(),
      from: TimeOfDaySchema,
      to: TimeOfDaySchema,
      timezone: TimeZoneSchema.optional(),
    }),
    for: HoldForSchema,
  })
  .meta({
    id: 'ScheduleCondition',
    description:
      'True while the local wall clock is in [from, to) on one of `days` (the day the range starts). A range with to < from runs past midnight.',
  });

export const CronConditionSchema = z
  .strictObject({
    cron: z.string().min(1),
    hold: DurationSchema.optional().meta({
      description: 'How long the trigger stays true after each occurrence (default 1m).',
    }),
    timezone: TimeZoneSchema.optional(),
    for: HoldForSchema,
  })
  .meta({
    id: 'CronCondition',
    description: 'True from each occurrence of a cron expression until `hold` has passed.',
  });

export const RefConditionSchema = z
  .strictObject({ ref: DefinitionNameSchema, for: HoldForSchema })
  .meta({ id: 'RefCondition', description: 'A named condition from `definitions`.' });

export const AndConditionSchema = z
  .strictObject({
    get and(): z.ZodArray<typeof ConditionSchema> {
      return z.array(ConditionSchema).min(1);
    },
    for: HoldForSchema,
  })
  .meta({ id: 'AndCondition' });

export const OrConditionSchema = z
  .strictObject({
    get or(): z.ZodArray<typeof ConditionSchema> {
      return z.array(ConditionSchema).min(1);
    },
    for: HoldForSchema,
  })
  .meta({ id: 'OrCondition' });

export const NotConditionSchema = z
  .strictObject({
    get not(): typeof ConditionSchema {
      return ConditionSchema;
    },
    for: HoldForSchema,
  })
  .meta({ id: 'NotCondition' });

export const ConditionSchema = z
  .union([
    ThresholdConditionSchema,
    AggregateConditionSchema,
    MetricComparisonConditionSchema,
    HysteresisConditionSchema,
    ScheduleConditionSchema,
    CronConditionSchema,
    AndConditionSchema,
    OrConditionSchema,
    NotConditionSchema,
    RefConditionSchema,
  ])
  .meta({ id: 'Condition' });

// ---- actions (leaves) -------------------------------------------------------------------------

const actuatorField = {
  actuator: DeviceIdSchema.optional().meta({
    description: "Which of the program's actuators; required when the program has several.",
  }),
};

export const SetStateActionSchema = z
  .strictObject({ action: z.literal('set_state'), ...actuatorField, state: z.string().min(1) })
  .meta({ id: 'SetStateAction', description: 'Put the actuator in a named state ("on", "off").' });

export const SetLevelActionSchema = z
  .strictObject({ action: z.literal('set_level'), ...actuatorField, level: z.number() })
  .meta({ id: 'SetLevelAction', description: 'Set a continuous level (dimmer %, valve %).' });

export const PulseActionSchema = z
  .strictObject({
    action: z.literal('pulse'),
    ...actuatorField,
    duration: DurationSchema,
    state: z.string().min(1).default('on'),
  })
  .meta({
    id: 'PulseAction',
    description: 'Hold `state` for `duration`, then return; issued once per activation.',
  });

export const AlertActionSchema = z
  .strictObject({
    action: z.literal('alert'),
    severity: z.enum(SEVERITIES).default('warning'),
    message: z.string().min(1),
  })
  .meta({ id: 'AlertAction', description: 'Raise an alert; raised once per activation.' });

export const ActionSchema = z.discriminatedUnion('action', [
  SetStateActionSchema,
  SetLevelActionSchema,
  PulseActionSchema,
  AlertActionSchema,
]);

// ---- nodes ------------------------------------------------------------------------------------

export const BranchNodeSchema = z
  .strictObject({
    condition: ConditionSchema,
    get then(): typeof NodeSchema {
      return NodeSchema;
    },
    get else(): z.ZodOptional<typeof NodeSchema> {
      return NodeSchema.optional();
    },
  })
  .meta({
    id: 'BranchNode',
    description:
      'if condition then … else …; an absent `else` decides nothing, and an unknown condition (no data yet) takes neither branch.',
  });

export const SequenceNodeSchema = z
  .strictObject({
    get do(): z.ZodArray<typeof NodeSchema> {
      return z.array(NodeSchema).min(1);
    },
  })
  .meta({ id: 'SequenceNode', description: 'All of these nodes, in order.' });

export const RefNodeSchema = z
  .strictObject({ ref: DefinitionNameSchema })
  .meta({ id: 'RefNode', description: 'A named sub-tree from `definitions`.' });

export const NodeSchema = z
  .union([BranchNodeSchema, SequenceNodeSchema, RefNodeSchema, ActionSchema])
  .meta({ id: 'Node' });

// ---- program ----------------------------------------------------------------------------------

export const ProgramSchema = z
  .strictObject({
    id: z
      .string()
      .regex(
        /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/,
        'must be 1-128 chars of letters, digits, "_", ".", ":" and "-", starting with a letter or digit',
      ),
    version: z.number().int().min(1),
    name: z.string().min(1).max(200),
    description: z.string().max(2000).optional(),
    owner: z.string().min(1),
    tenant: TenantIdSchema,
    priority: z.number().int().default(0).meta({
      description: 'When two programs drive one actuator, the higher priority wins.',
    }),
    enabled: z.boolean().default(false),
    timezone: TimeZoneSchema.default('UTC'),
    staleAfter: DurationSchema.optional().meta({
      description: 'A latest value older than this counts as unknown (no decision on old data).',
    }),
    devices: z.array(DeviceIdSchema).min(1).meta({
      description: 'The devices whose readings feed the program.',
    }),
    actuators: z.array(DeviceIdSchema).min(1).meta({
      description: 'The actuators the program may command.',
    }),
    definitions: z
      .record(DefinitionNameSchema, z.union([ConditionSchema, NodeSchema]))
      .optional()
      .meta({ description: 'Named conditions and sub-trees, used with { "ref": name }.' }),
    tree: NodeSchema,
  })
  .meta({ id: 'Program', title: 'Sluice program' });

export type Program = z.output<typeof ProgramSchema>;
/** What a user writes: defaults (priority, enabled, timezone, pulse state, severity) may be left out. */
export type ProgramDefinition = z.input<typeof ProgramSchema>;
export type Condition = z.output<typeof ConditionSchema>;
export type ProgramNode = z.output<typeof NodeSchema>;
export type ActionNode = z.output<typeof ActionSchema>;
export type ThresholdCondition = z.output<typeof ThresholdConditionSchema>;
export type AggregateCondition = z.output<typeof AggregateConditionSchema>;
export type MetricComparisonCondition = z.output<typeof MetricComparisonConditionSchema>;
export type HysteresisCondition = z.output<typeof HysteresisConditionSchema>;
export type ScheduleCondition = z.output<typeof ScheduleConditionSchema>;
export type CronCondition = z.output<typeof CronConditionSchema>;
export type BranchNode = z.output<typeof BranchNodeSchema>;
