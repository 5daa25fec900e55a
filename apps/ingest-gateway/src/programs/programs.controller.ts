import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put, Query } from '@nestjs/common';
import { formatIssues } from '@sluice/contracts';
import { z } from 'zod';
import type { Principal } from '../auth/api-key';
import { CurrentPrincipal } from '../auth/current-principal.decorator';
import { RequireScope } from '../auth/require-scope.decorator';
import { ApiError } from '../http/api-error';
import { ActuatorControllerClient } from '../actuators/actuator-controller.client';

interface ProgramMessage {
  id: string;
  version: number;
  name: string;
  owner: string;
  priority: number;
  enabled: boolean;
  definitionJson: string;
  createdAt: string;
  updatedAt: string;
}

export function programView(message: ProgramMessage) {
  return {
    id: message.id,
    version: message.version,
    name: message.name || null,
    owner: message.owner,
    priority: message.priority,
    enabled: message.enabled,
    definition: JSON.parse(message.definitionJson) as Record<string, unknown>,
    createdAt: Number(message.createdAt),
    updatedAt: Number(message.updatedAt),
  };
}

const TimeSchema = z.union([
  z.number().int(),
  z.iso.datetime().transform((value) => Date.parse(value)),
]);

const DryRunBodySchema = z.object({
  from: TimeSchema,
  to: TimeSchema,
  /** Timer tick interval of the replay (default 1000 ms). */
  tickMs: z.number().int().min(10).optional(),
  /** Try an edited definition against the stored readings instead of the saved one. */
  definition: z.record(z.string(), z.unknown()).optional(),
});

const ListQuerySchema = z.object({ enabled: z.enum(['true', 'false']).optional() });

function body(input: unknown): string {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    throw new ApiError(
      400,
      'invalid_body',
      'the body must be a program definition (a JSON object)',
      [{ path: '(body)', message: 'expected a JSON object' }],
    );
  }
  return JSON.stringify(input);
}

/**
 * Programs (gRPC to the actuator-controller). A program is the JSON of `libs/programs` (its
 * README is the language reference); `tenant` is the caller's and may be left out.
 * - `GET /api/v1/programs[?enabled=true|false]` → `{programs:[{id, version, name, owner, priority, enabled, definition, createdAt, updatedAt}]}`
 * - `POST /api/v1/programs` definition → 201 program (version 1, disabled unless `enabled: true`)
 * - `GET|PUT|DELETE /api/v1/programs/:id` — PUT saves the next version (204 on DELETE)
 * - `POST /api/v1/programs/validate` definition → 200 `{ok, issues:[{path, code, message}], program?}`
 * - `POST /api/v1/programs/:id/dry-run` `{from, to, tickMs?, definition?}` (epoch ms or ISO) →
 *   `{readings, steps:[{time, kind:"command"|"alert", actuator?, command?, params?, severity?, message?, reason, path}]}`
 * - `POST /api/v1/programs/:id/enable|disable` → program
 * - `GET /api/v1/program-templates` → `{templates:[{name, description, program}]}`
 */
@Controller('api/v1')
export class ProgramsController {
  constructor(private readonly controller: ActuatorControllerClient) {}

  @Get('programs')
  @RequireScope('read')
  async list(@CurrentPrincipal() principal: Principal, @Query() query: Record<string, unknown>) {
    const parsed = ListQuerySchema.safeParse(query);
    if (!parsed.success)
      throw new ApiError(400, 'invalid_query', 'invalid query', formatIssues(parsed.error));
    const reply = await this.controller.call<{ programs: ProgramMessage[] }>('ListPrograms', {
      tenant: principal.tenant,
      enabled: parsed.data.enabled ?? '',
    });
    return { programs: reply.programs.map(programView) };
  }

  @Post('programs/validate')
  @HttpCode(200)
  @RequireScope('read')
  async validate(@CurrentPrincipal() principal: Principal, @Body() input: unknown) {
    const reply = await this.controller.call<{
      ok: boolean;
      issues: Array<{ path: string; code: string; message: string }>;
      programJson: string;
    }>('ValidateProgram', {
      tenant: principal.tenant,
      definitionJson: body(input),
      actor: `key:${principal.keyId}`,
    });
    return {
      ok: reply.ok,
      issues: reply.issues,
      ...(reply.ok ? { program: JSON.parse(reply.programJson) as unknown } : {}),
    };
  }

  @Post('programs')
  @HttpCode(201)
  @RequireScope('write')
  async create(@CurrentPrincipal() principal: Principal, @Body() input: unknown) {
    return programView(
      await this.controller.call<ProgramMessage>('CreateProgram', {
        tenant: principal.tenant,
        definitionJson: body(input),
        actor: `key:${principal.keyId}`,
      }),
    );
  }

  @Get('programs/:id')
  @RequireScope('read')
  async get(@CurrentPrincipal() principal: Principal, @Param('id') id: string) {
    return programView(
      await this.controller.call<ProgramMessage>('GetProgram', { tenant: principal.tenant, id }),
    );
  }

  @Put('programs/:id')
  @RequireScope('write')
  async update(
    @CurrentPrincipal() principal: Principal,
    @Param('id') id: string,
    @Body() input: unknown,
  ) {
    return programView(
      await this.controller.call<ProgramMessage>('UpdateProgram', {
        tenant: principal.tenant,
        id,
        definitionJson: body(input),
        actor: `key:${principal.keyId}`,
      }),
    );
  }

  @Delete('programs/:id')
  @HttpCode(204)
  @RequireScope('write')
  async delete(@CurrentPrincipal() principal: Principal, @Param('id') id: string): Promise<void> {
    await this.controller.call('DeleteProgram', { tenant: principal.tenant, id });
  }

  @Post('programs/:id/enable')
  @HttpCode(200)
  @RequireScope('write')
  async enable(@CurrentPrincipal() principal: Principal, @Param('id') id: string) {
    return programView(
      await this.controller.call<ProgramMessage>('SetProgramEnabled', {
        tenant: principal.tenant,
        id,
        enabled: true,
      }),
    );
  }

  @Post('programs/:id/disable')
  @HttpCode(200)
  @RequireScope('write')
  async disable(@CurrentPrincipal() principal: Principal, @Param('id') id: string) {
    return programView(
      await this.controller.call<ProgramMessage>('SetProgramEnabled', {
        tenant: principal.tenant,
        id,
        enabled: false,
      }),
    );
  }

  @Post('programs/:id/dry-run')
  @HttpCode(200)
  @RequireScope('read')
  async dryRun(
    @CurrentPrincipal() principal: Principal,
    @Param('id') id: string,
    @Body() input: unknown,
  ) {
    const parsed = DryRunBodySchema.safeParse(input ?? {});
    if (!parsed.success)
      throw new ApiError(
        400,
        'invalid_body',
        'invalid dry-run request',
        formatIssues(parsed.error),
      );
    const request = parsed.data;
    const reply = await this.controller.call<{
      readings: number;
      steps: Array<{
        time: string;
        kind: string;
        actuator: string;
        command: string;
        paramsJson: string;
        reason: string;
        severity: string;
        message: string;
        path: string;
      }>;
    }>(
      'DryRunProgram',
      {
        tenant: principal.tenant,
        id,
        from: request.from,
        to: request.to,
        tickMs: request.tickMs ?? 0,
        definitionJson: request.definition ? JSON.stringify(request.definition) : '',
      },
      120_000,
    );
    return {
      readings: reply.readings,
      steps: reply.steps.map((step) =>
        step.kind === 'command'
          ? {
              time: Number(step.time),
              kind: 'command',
              actuator: step.actuator,
              command: step.command,
              params: JSON.parse(step.paramsJson) as Record<string, unknown>,
              reason: step.reason,
              path: step.path,
            }
          : {
              time: Number(step.time),
              kind: 'alert',
              severity: step.severity,
              message: step.message,
              reason: step.reason,
              path: step.path,
            },
      ),
    };
  }

  @Get('program-templates')
  @RequireScope('read')
  async templates(@CurrentPrincipal() principal: Principal) {
    const reply = await this.controller.call<{ templatesJson: string }>('ListTemplates', {
      tenant: principal.tenant,
    });
    return { templates: JSON.parse(reply.templatesJson) as unknown[] };
  }
}
