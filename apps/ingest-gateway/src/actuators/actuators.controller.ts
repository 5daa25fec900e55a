import { Body, Controller, Get, Headers, HttpCode, Param, Post, Query } from '@nestjs/common';
import { z } from 'zod';
import type { Principal } from '../auth/api-key';
import { CurrentPrincipal } from '../auth/current-principal.decorator';
import { RequireScope } from '../auth/require-scope.decorator';
import { parseRequestInput } from '../http/request-input';
import { ActuatorControllerClient } from './actuator-controller.client';

const ParamsSchema = z.record(z.string(), z.union([z.string(), z.number(), z.boolean()]));

const CommandBodySchema = z.object({
  action: z.enum(['set_state', 'set_level', 'pulse']),
  params: ParamsSchema.default({}),
  reason: z.string().max(500).optional(),
  /** How long programs keep off this actuator (default: the controller's OVERRIDE_HOLD_MS). */
  holdMs: z
    .number()
    .int()
    .min(0)
    .max(7 * 24 * 3600 * 1000)
    .optional(),
});

const TimeSchema = z.union([
  z.coerce.number().int(),
  z.iso.datetime().transform((value) => Date.parse(value)),
]);

const CommandsQuerySchema = z.object({
  actuator: z.string().optional(),
  status: z.enum(['pending', 'sent', 'acknowledged', 'failed', 'expired', 'rejected']).optional(),
  issuer: z.string().optional(),
  from: TimeSchema.optional(),
  to: TimeSchema.optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  events: z.stringbool().default(false),
});

const ConflictsQuerySchema = z.object({
  actuator: z.string().optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});

const KillSwitchBodySchema = z.object({
  active: z.boolean(),
  reason: z.string().max(500).optional(),
});

interface CommandMessage {
  id: string;
  actuator: string;
  action: string;
  paramsJson: string;
  issuerKind: string;
  issuerId: string;
  priority: number;
  reason: string;
  status: string;
  statusReason: string;
  attempts: number;
  createdAt: string;
  sentAt: string;
  acknowledgedAt: string;
  completedAt: string;
  expiresAt: string;
  idempotencyKey: string;
  eventsJson: string;
}

/** Epoch ms or null (proto int64 arrive as decimal strings; 0 = unset). */
function time(value: string | number): number | null {
  const ms = Number(value);
  return ms > 0 ? ms : null;
}

export function commandView(message: CommandMessage) {
  return {
    id: message.id,
    actuator: message.actuator,
    action: message.action,
    params: JSON.parse(message.paramsJson) as Record<string, unknown>,
    issuer: { kind: message.issuerKind, id: message.issuerId },
    priority: message.priority,
    reason: message.reason,
    status: message.status,
    statusReason: message.statusReason || null,
    attempts: message.attempts,
    createdAt: time(message.createdAt),
    sentAt: time(message.sentAt),
    acknowledgedAt: time(message.acknowledgedAt),
    completedAt: time(message.completedAt),
    expiresAt: time(message.expiresAt),
    idempotencyKey: message.idempotencyKey,
    ...(message.eventsJson ? { events: JSON.parse(message.eventsJson) as unknown[] } : {}),
  };
}

/**
 * Actuators and their commands (gRPC to the actuator-controller):
 * - `GET /api/v1/actuators` → `{actuators:[{id, state, stateAt, lastCommandId, lastCommandAt, lastAckAt, overrideUntil}]}`
 * - `POST /api/v1/actuators/:id/commands` `{action, params, reason?, holdMs?}` (+ `Idempotency-Key`)
 *   → 202 command; it holds the actuator against programs for `holdMs`
 * - `GET /api/v1/commands?actuator=&status=&issuer=&from=&to=&limit=&events=true` → `{commands:[…]}` newest first
 * - `GET /api/v1/conflicts?actuator=&limit=` → `{conflicts:[{seq, actuator, winner, loser, rule, at}]}`
 * - `POST /api/v1/admin/kill-switch` `{active, reason?}` (admin) → `{tenant, active, reason, changedBy, changedAt}`
 */
@Controller('api/v1')
export class ActuatorsController {
  constructor(private readonly controller: ActuatorControllerClient) {}

  @Get('actuators')
  @RequireScope('read')
  async list(@CurrentPrincipal() principal: Principal) {
    const reply = await this.controller.call<{
      actuators: Array<{
        id: string;
        stateJson: string;
        stateAt: string;
        lastCommandId: string;
        lastCommandAt: string;
        lastAckAt: string;
        overrideUntil: string;
      }>;
    }>('ListActuators', { tenant: principal.tenant });
    return {
      actuators: reply.actuators.map((actuator) => ({
        id: actuator.id,
        state: JSON.parse(actuator.stateJson || '{}') as Record<string, unknown>,
        stateAt: time(actuator.stateAt),
        lastCommandId: actuator.lastCommandId || null,
        lastCommandAt: time(actuator.lastCommandAt),
        lastAckAt: time(actuator.lastAckAt),
        overrideUntil: time(actuator.overrideUntil),
      })),
    };
  }

  @Post('actuators/:id/commands')
  @HttpCode(202)
  @RequireScope('write')
  async command(
    @CurrentPrincipal() principal: Principal,
    @Param('id') actuator: string,
    @Body() body: unknown,
    @Headers('idempotency-key') idempotencyKey: string | undefined,
  ) {
    const input = parseRequestInput(CommandBodySchema, body, 'body');
    const reply = await this.controller.call<CommandMessage>('SendCommand', {
      tenant: principal.tenant,
      actuator,
      action: input.action,
      paramsJson: JSON.stringify(input.params),
      issuedBy: `key:${principal.keyId}`,
      reason: input.reason ?? '',
      holdMs: input.holdMs ?? 0,
      idempotencyKey: idempotencyKey ?? '',
    });
    return commandView(reply);
  }

  @Get('commands')
  @RequireScope('read')
  async commands(
    @CurrentPrincipal() principal: Principal,
    @Query() query: Record<string, unknown>,
  ) {
    const filter = parseRequestInput(CommandsQuerySchema, query, 'query');
    const reply = await this.controller.call<{ commands: CommandMessage[] }>('ListCommands', {
      tenant: principal.tenant,
      actuator: filter.actuator ?? '',
      status: filter.status ?? '',
      issuerId: filter.issuer ?? '',
      from: filter.from ?? 0,
      to: filter.to ?? 0,
      limit: filter.limit,
      includeEvents: filter.events,
    });
    return { commands: reply.commands.map(commandView) };
  }

  @Get('conflicts')
  @RequireScope('read')
  async conflicts(
    @CurrentPrincipal() principal: Principal,
    @Query() query: Record<string, unknown>,
  ) {
    const filter = parseRequestInput(ConflictsQuerySchema, query, 'query');
    const reply = await this.controller.call<{
      conflicts: Array<{
        seq: string;
        actuator: string;
        winnerKind: string;
        winnerId: string;
        winnerPriority: number;
        winnerCommandJson: string;
        loserProgram: string;
        loserPriority: number;
        loserCommandJson: string;
        rule: string;
        at: string;
      }>;
    }>('ListConflicts', {
      tenant: principal.tenant,
      actuator: filter.actuator ?? '',
      limit: filter.limit,
    });
    return {
      conflicts: reply.conflicts.map((conflict) => ({
        seq: Number(conflict.seq),
        actuator: conflict.actuator,
        winner: {
          kind: conflict.winnerKind,
          id: conflict.winnerId,
          priority: conflict.winnerKind === 'program' ? conflict.winnerPriority : null,
          ...(JSON.parse(conflict.winnerCommandJson) as object),
        },
        loser: {
          program: conflict.loserProgram,
          priority: conflict.loserPriority,
          ...(JSON.parse(conflict.loserCommandJson) as object),
        },
        rule: conflict.rule,
        at: time(conflict.at),
      })),
    };
  }

  @Post('admin/kill-switch')
  @HttpCode(200)
  @RequireScope('admin')
  async killSwitch(@CurrentPrincipal() principal: Principal, @Body() body: unknown) {
    const input = parseRequestInput(KillSwitchBodySchema, body, 'body');
    const reply = await this.controller.call<{
      tenant: string;
      active: boolean;
      reason: string;
      changedBy: string;
      changedAt: string;
    }>('SetKillSwitch', {
      tenant: principal.tenant,
      active: input.active,
      reason: input.reason ?? '',
      changedBy: `key:${principal.keyId}`,
    });
    return { ...reply, reason: reply.reason || null, changedAt: time(reply.changedAt) };
  }
}
