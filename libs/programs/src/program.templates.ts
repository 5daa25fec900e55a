/**
 * Ready-made programs for the common cases. Each returns a program definition (the JSON a user
 * would write) that passes `parseProgram`; callers adjust it before saving if they need more.
 */
import type { ProgramDefinition } from './program.schema';
import type { Weekday } from './wall-clock';

export interface TemplateTarget {
  readonly id: string;
  readonly tenant: string;
  readonly owner: string;
  /** The device whose readings feed the program. */
  readonly device: string;
  /** The actuator it drives. */
  readonly actuator: string;
  readonly name?: string;
  readonly version?: number;
  readonly priority?: number;
  readonly timezone?: string;
}

function header(target: TemplateTarget, name: string) {
  return {
    id: target.id,
    version: target.version ?? 1,
    name: target.name ?? name,
    owner: target.owner,
    tenant: target.tenant,
    priority: target.priority ?? 0,
    enabled: false,
    timezone: target.timezone ?? 'UTC',
    devices: [target.device],
    actuators: [target.actuator],
  };
}

export interface ThermostatOptions extends TemplateTarget {
  readonly metric?: string;
  /** cool: on above `high`, off below `low` (a fan); heat: on below `low`, off above `high`. */
  readonly mode: 'cool' | 'heat';
  readonly low: number;
  readonly high: number;
  /** How long the on-threshold must have held before switching on ("5m"). */
  readonly onDelay?: string;
}

/** A fan or heater switched by a hysteresis band, so it does not chatter around one threshold. */
export function thermostatTemplate(options: ThermostatOptions): ProgramDefinition {
  const metric = options.metric ?? 'temperature';
  const cool = options.mode === 'cool';
  return {
    ...header(options, `${cool ? 'Cool' : 'Heat'} between ${options.low} and ${options.high}`),
    tree: {
      condition: {
        hysteresis: {
          metric,
          on: cool ? { op: '>', value: options.high } : { op: '<', value: options.low },
          off: cool ? { op: '<', value: options.low } : { op: '>', value: options.high },
        },
        ...(options.onDelay ? { for: options.onDelay } : {}),
      },
      then: { action: 'set_state', state: 'on' },
      else: { action: 'set_state', state: 'off' },
    },
  };
}

export interface ScheduleOptions extends TemplateTarget {
  readonly days?: readonly Weekday[];
  /** Local "HH:MM"; `to` before `from` runs past midnight. */
  readonly from: string;
  readonly to: string;
  readonly onState?: string;
  readonly offState?: string;
}

/** On during a weekly time window (in the program's time zone), off outside it. */
export function scheduleTemplate(options: ScheduleOptions): ProgramDefinition {
  return {
    ...header(options, `On ${options.from}–${options.to}`),
    tree: {
      condition: {
        schedule: {
          ...(options.days ? { days: [...options.days] } : {}),
          from: options.from,
          to: options.to,
        },
      },
      then: { action: 'set_state', state: options.onState ?? 'on' },
      else: { action: 'set_state', state: options.offState ?? 'off' },
    },
  };
}

export interface ThresholdCutoffOptions extends TemplateTarget {
  readonly metric: string;
  /** Cut when the metric exceeds this. */
  readonly limit: number;
  /** How long it must exceed the limit first, to ride through spikes ("10s"). */
  readonly for?: string;
  readonly cutState?: string;
}

/** Cuts an actuator (power, valve) when a metric stays over a limit, and raises a critical alert.
 * It never switches back on: restoring after a cut-off is a person's decision. */
export function thresholdCutoffTemplate(options: ThresholdCutoffOptions): ProgramDefinition {
  return {
    ...header(options, `Cut off above ${options.limit} ${options.metric}`),
    tree: {
      condition: {
        metric: options.metric,
        op: '>',
        value: options.limit,
        ...(options.for ? { for: options.for } : {}),
      },
      then: {
        do: [
          { action: 'set_state', state: options.cutState ?? 'off' },
          {
            action: 'alert',
            severity: 'critical',
            message: `${options.actuator} cut off: ${options.metric} above ${options.limit}`,
          },
        ],
      },
    },
  };
}

export interface IdleShutdownOptions extends TemplateTarget {
  readonly metric?: string;
  /** Idle when the average over `window` is below this (e.g. watts). */
  readonly below: number;
  readonly window: string;
  readonly offState?: string;
}

/** Switches a machine off once its average consumption over a window says it is idle. */
export function idleShutdownTemplate(options: IdleShutdownOptions): ProgramDefinition {
  const metric = options.metric ?? 'power';
  return {
    ...header(options, `Shut down when idle for ${options.window}`),
    tree: {
      condition: {
        aggregate: 'avg',
        metric,
        window: options.window,
        op: '<',
        value: options.below,
      },
      then: {
        do: [
          { action: 'set_state', state: options.offState ?? 'off' },
          {
            action: 'alert',
            severity: 'info',
            message: `${options.actuator} shut down after ${options.window} idle`,
          },
        ],
      },
    },
  };
}
