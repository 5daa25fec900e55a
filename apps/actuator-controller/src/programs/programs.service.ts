import { Inject, Injectable } from '@nestjs/common';
import { PG_POOL } from '@sluice/db';
import {
  dryRun,
  idleShutdownTemplate,
  parseDuration,
  scheduleTemplate,
  thermostatTemplate,
  thresholdCutoffTemplate,
  validateProgram,
  type DryRunStep,
  type Program,
  type ProgramIssue,
  type StoredReading,
} from '@sluice/programs';
import type { Pool } from 'pg';
import { ControllerError } from '../actuator-controller.errors';
import { ProgramCatalog } from './program-catalog';
import { ProgramsRepository, type ProgramRow } from './programs.repository';

/** Most stored readings one dry run may replay. */
export const DRY_RUN_MAX_READINGS = 500_000;
const DEFAULT_DRY_RUN_TICK_MS = 1000;

export type ValidationOutcome =
  { ok: true; program: Program; issues: [] } | { ok: false; issues: readonly ProgramIssue[] };

function parseJson(text: string, path = 'definition'): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new ControllerError('invalid_argument', `${path} is not valid JSON`, [
      { path, message: error instanceof Error ? error.message : String(error) },
    ]);
  }
}

function invalid(issues: readonly ProgramIssue[]): ControllerError {
  return new ControllerError(
    'invalid_program',
    `program is invalid: ${issues.length} issue(s)`,
    issues.map((issue) => ({ path: issue.path, code: issue.code, message: issue.message })),
  );
}

/** The longest window, `for` or staleAfter of a program: history a dry run replays before `from`. */
export function warmUpMs(definition: unknown): number {
  let longest = 0;
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) node.forEach(walk);
    else if (node !== null && typeof node === 'object') {
      for (const [key, value] of Object.entries(node)) {
        if (
          (key === 'window' || key === 'for' || key === 'staleAfter') &&
          typeof value === 'string'
        ) {
          // bad durations are the validator's to report; the warm-up just ignores them
          longest = Math.max(longest, parseDuration(value) ?? 0);
        } else walk(value);
      }
    }
  };
  walk(definition);
  return longest;
}

/** Programs CRUD, validation and dry run; the catalog learns about every change at once. */
@Injectable()
export class ProgramsService {
  constructor(
    private readonly programs: ProgramsRepository,
    private readonly catalog: ProgramCatalog,
    @Inject(PG_POOL) private readonly pool: Pool,
  ) {}

  list(tenant: string, enabled?: boolean): Promise<ProgramRow[]> {
    return this.programs.list(tenant, enabled);
  }

  async get(tenant: string, id: string): Promise<ProgramRow> {
    const found = await this.programs.find(tenant, id);
    if (!found) throw notFound(id);
    return found;
  }

  /** Validates a definition of `tenant` (tenant filled in when absent) with the tenant's metric names. */
  async validate(tenant: string, definitionJson: string, actor = ''): Promise<ValidationOutcome> {
    const input = parseJson(definitionJson);
    // the defaults create applies (version 1, the caller as owner), so valid means creatable
    const withDefaults =
      input !== null && typeof input === 'object' && !Array.isArray(input)
        ? { version: 1, owner: actor || undefined, ...input }
        : input;
    return this.validateInput(tenant, withDefaults);
  }

  async create(tenant: string, definitionJson: string, actor: string): Promise<ProgramRow> {
    const input = asObject(parseJson(definitionJson));
    const outcome = await this.validateInput(tenant, {
      version: 1,
      owner: actor,
      ...input,
      tenant: input.tenant ?? tenant,
    });
    if (!outcome.ok) throw invalid(outcome.issues);
    if (outcome.program.version !== 1) {
      throw new ControllerError('invalid_argument', 'a new program starts at version 1', [
        { path: 'version', message: `expected 1, got ${outcome.program.version}` },
      ]);
    }
    const saved = await this.programs.insert(outcome.program);
    if (!saved) {
      throw new ControllerError('already_exists', `program "${outcome.program.id}" exists`, [
        { path: 'id', message: 'already taken; update it with PUT instead' },
      ]);
    }
    await this.catalog.refresh();
    return saved;
  }

  /** Saves the next version; `version` in the body, if given, must be the stored one + 1. */
  async update(
    tenant: string,
    id: string,
    definitionJson: string,
    actor: string,
  ): Promise<ProgramRow> {
    const current = await this.get(tenant, id);
    const input = asObject(parseJson(definitionJson));
    if (input.id !== undefined && input.id !== id) {
      throw new ControllerError('invalid_argument', 'the id of a program cannot change', [
        { path: 'id', message: `expected "${id}", got ${JSON.stringify(input.id)}` },
      ]);
    }
    const version = current.version + 1;
    if (input.version !== undefined && input.version !== version) {
      throw new ControllerError('conflict', `program "${id}" is at version ${current.version}`, [
        {
          path: 'version',
          message: `expected ${version} (or leave it out), got ${String(input.version)}`,
        },
      ]);
    }
    const outcome = await this.validateInput(tenant, {
      owner: current.owner || actor,
      enabled: current.enabled,
      ...input,
      id,
      version,
      tenant,
    });
    if (!outcome.ok) throw invalid(outcome.issues);
    const saved = await this.programs.update(outcome.program, current.version);
    if (!saved) {
      throw new ControllerError('conflict', `program "${id}" changed meanwhile; reload and retry`);
    }
    await this.catalog.refresh();
    return saved;
  }

  async setEnabled(tenant: string, id: string, enabled: boolean): Promise<ProgramRow> {
    const saved = await this.programs.setEnabled(tenant, id, enabled);
    if (!saved) throw notFound(id);
    await this.catalog.refresh();
    return saved;
  }

  async delete(tenant: string, id: string): Promise<boolean> {
    const deleted = await this.programs.delete(tenant, id);
    if (!deleted) throw notFound(id);
    await this.catalog.refresh();
    return true;
  }

  /**
   * Replays the stored readings of the program's devices over [from, to] (plus the longest window
   * before `from`, to warm up aggregates and `for` timers) with ticks every `tickMs`.
   */
  async dryRun(
    tenant: string,
    id: string,
    range: { from: number; to: number; tickMs?: number },
    definitionJson?: string,
  ): Promise<{ steps: DryRunStep[]; readings: number }> {
    const program = definitionJson
      ? await this.parseOrThrow(tenant, { ...asObject(parseJson(definitionJson)), tenant })
      : (await this.get(tenant, id)).definition;
    if (!Number.isFinite(range.from) || !Number.isFinite(range.to) || range.from > range.to) {
      throw new ControllerError('invalid_argument', 'need from <= to (epoch ms)', [
        { path: 'from', message: `from ${range.from}, to ${range.to}` },
      ]);
    }
    const tickMs = range.tickMs && range.tickMs > 0 ? range.tickMs : DEFAULT_DRY_RUN_TICK_MS;
    if ((range.to - range.from) / tickMs > 5_000_000) {
      throw new ControllerError(
        'range_too_large',
        'too many ticks: raise tickMs or narrow the range',
      );
    }
    const readings = await this.storedReadings(
      tenant,
      program.devices,
      range.from - warmUpMs(program),
      range.to,
    );
    return {
      steps: dryRun(program, readings, { from: range.from, to: range.to, tickMs }),
      readings: readings.length,
    };
  }

  private async storedReadings(
    tenant: string,
    devices: readonly string[],
    from: number,
    to: number,
  ): Promise<StoredReading[]> {
    const { rows } = await this.pool.query<{
      device: string;
      metric: string;
      t: number;
      value: number;
    }>(
      `SELECT device, metric, (extract(epoch FROM time) * 1000)::float8 AS t, value FROM readings
       WHERE tenant = $1 AND device = ANY($2)
         AND time >= to_timestamp($3::float8 / 1000) AND time <= to_timestamp($4::float8 / 1000)
       ORDER BY time, device, metric
       LIMIT ${DRY_RUN_MAX_READINGS + 1}`,
      [tenant, devices, from, to],
    );
    if (rows.length > DRY_RUN_MAX_READINGS) {
      throw new ControllerError(
        'range_too_large',
        `more than ${DRY_RUN_MAX_READINGS} readings in the range: narrow it`,
      );
    }
    return rows.map((row) => ({
      tenant,
      device: row.device,
      metric: row.metric,
      time: Math.round(row.t),
      value: row.value,
    }));
  }

  templates(tenant: string): Array<{ name: string; description: string; program: unknown }> {
    const target = { tenant, owner: 'you', device: 'sensor-1', actuator: 'fan-1' };
    return [
      {
        name: 'thermostat',
        description: 'fan or heater switched by a hysteresis band (optionally after a delay)',
        program: thermostatTemplate({
          ...target,
          id: 'thermostat',
          mode: 'cool',
          low: 22,
          high: 26,
          onDelay: '1m',
        }),
      },
      {
        name: 'schedule',
        description: 'on during a daily time range, off outside it',
        program: scheduleTemplate({
          ...target,
          id: 'schedule',
          from: '08:00',
          to: '18:00',
          days: ['mon', 'tue', 'wed', 'thu', 'fri'],
        }),
      },
      {
        name: 'threshold-cutoff',
        description: 'cuts the actuator and raises a critical alert above a limit',
        program: thresholdCutoffTemplate({
          ...target,
          id: 'cutoff',
          metric: 'power',
          limit: 3000,
          for: '30s',
        }),
      },
      {
        name: 'idle-shutdown',
        description: 'switches off when average power stays low over a window',
        program: idleShutdownTemplate({ ...target, id: 'idle-shutdown', below: 50, window: '15m' }),
      },
    ];
  }

  private async parseOrThrow(tenant: string, input: unknown): Promise<Program> {
    const outcome = await this.validateInput(tenant, input);
    if (!outcome.ok) throw invalid(outcome.issues);
    return outcome.program;
  }

  private async validateInput(tenant: string, input: unknown): Promise<ValidationOutcome> {
    const object =
      input !== null && typeof input === 'object' ? (input as Record<string, unknown>) : undefined;
    if (object && object.tenant !== undefined && object.tenant !== tenant) {
      return {
        ok: false,
        issues: [
          {
            path: 'tenant',
            code: 'invalid_value',
            message: `tenant: a program of tenant "${tenant}" cannot name tenant ${JSON.stringify(object.tenant)}`,
          },
        ],
      };
    }
    const withTenant = object ? { ...object, tenant } : input;
    const devices = Array.isArray(object?.devices)
      ? object.devices.filter((device): device is string => typeof device === 'string')
      : [];
    // Unknown-metric checks only for devices with data: a program may be written before its
    // device reports, and then there is nothing to compare against.
    const known = devices.length > 0 ? await this.programs.recentMetrics(tenant, devices) : {};
    const everyDeviceKnown = devices.length > 0 && devices.every((device) => known[device]);
    const result = validateProgram(withTenant, everyDeviceKnown ? { metrics: known } : {});
    return result.ok
      ? { ok: true, program: result.program, issues: [] }
      : { ok: false, issues: result.issues };
  }
}

function asObject(value: unknown): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new ControllerError('invalid_argument', 'a program definition is a JSON object', [
      { path: '(definition)', message: `got ${Array.isArray(value) ? 'an array' : typeof value}` },
    ]);
  }
  return value as Record<string, unknown>;
}

function notFound(id: string): ControllerError {
  return new ControllerError('not_found', `program "${id}" does not exist`, [
    { path: 'id', message: 'unknown program' },
  ]);
}
