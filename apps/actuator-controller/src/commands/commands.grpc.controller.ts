import { Controller } from '@nestjs/common';
import { GrpcMethod } from '@nestjs/microservices';
import { z } from 'zod';
import { ControllerError, epochMs, grpcCall } from '../actuator-controller.errors';
import { CommandsService } from './commands.service';
import type { CommandEventRow, CommandRow } from './commands.repository';

const SERVICE = 'ActuatorService';

const ParamsSchema = z.record(z.string(), z.union([z.string(), z.number(), z.boolean()]));
const ActionSchema = z.enum(['set_state', 'set_level', 'pulse']);

export function commandMessage(
  row: CommandRow,
  events?: readonly CommandEventRow[],
): Record<string, unknown> {
  return {
    id: row.id,
    tenant: row.tenant,
    actuator: row.actuator,
    action: row.action,
    paramsJson: JSON.stringify(row.params),
    issuerKind: row.issuerKind,
    issuerId: row.issuerId,
    priority: row.priority,
    reason: row.reason,
    status: row.status,
    statusReason: row.statusReason ?? '',
    attempts: row.attempts,
    createdAt: epochMs(row.createdAt),
    sentAt: epochMs(row.sentAt),
    acknowledgedAt: epochMs(row.acknowledgedAt),
    completedAt: epochMs(row.completedAt),
    expiresAt: epochMs(row.expiresAt),
    idempotencyKey: row.idempotencyKey,
    eventsJson: events
      ? JSON.stringify(
          events.map((event) => ({
            kind: event.kind,
            at: event.at.getTime(),
            detail: event.detail,
          })),
        )
      : '',
  };
}

/** Actuators, manual commands and command history over gRPC. */
@Controller()
export class CommandsGrpcController {
  constructor(private readonly commands: CommandsService) {}

  @GrpcMethod(SERVICE, 'ListActuators')
  listActuators(request: { tenant: string }) {
    return grpcCall(async () => ({
      actuators: (await this.commands.actuators(request.tenant)).map((actuator) => ({
        tenant: request.tenant,
        id: actuator.id,
        stateJson: JSON.stringify(actuator.state),
        stateAt: epochMs(actuator.stateAt),
        lastCommandId: actuator.lastCommandId ?? '',
        lastCommandAt: epochMs(actuator.lastCommandAt),
        lastAckAt: epochMs(actuator.lastAckAt),
        overrideUntil: epochMs(actuator.overrideUntil),
      })),
    }));
  }

  @GrpcMethod(SERVICE, 'SendCommand')
  sendCommand(request: {
    tenant: string;
    actuator: string;
    action: string;
    paramsJson: string;
    issuedBy: string;
    reason: string;
    holdMs: string;
    idempotencyKey: string;
  }) {
    return grpcCall(async () => {
      const action = ActionSchema.safeParse(request.action);
      if (!action.success) {
        throw new ControllerError('invalid_argument', 'unknown action', [
          {
            path: 'action',
            message: `expected set_state, set_level or pulse, got "${request.action}"`,
          },
        ]);
      }
      let params: z.infer<typeof ParamsSchema>;
      try {
        params = ParamsSchema.parse(request.paramsJson ? JSON.parse(request.paramsJson) : {});
      } catch {
        throw new ControllerError(
          'invalid_argument',
          'params must be an object of strings, numbers or booleans',
          [{ path: 'params', message: 'invalid' }],
        );
      }
      const row = await this.commands.sendUserCommand({
        tenant: request.tenant,
        actuator: request.actuator,
        action: action.data,
        params,
        issuedBy: request.issuedBy,
        reason: request.reason,
        holdMs: Number(request.holdMs) || undefined,
        idempotencyKey: request.idempotencyKey || undefined,
      });
      return commandMessage(row);
    });
  }

  @GrpcMethod(SERVICE, 'ListCommands')
  listCommands(request: {
    tenant: string;
    actuator: string;
    status: string;
    issuerId: string;
    from: string;
    to: string;
    limit: number;
    includeEvents: boolean;
  }) {
    return grpcCall(async () => {
      const rows = await this.commands.list({
        tenant: request.tenant,
        actuator: request.actuator || undefined,
        status: request.status || undefined,
        issuerId: request.issuerId || undefined,
        from: Number(request.from) || undefined,
        to: Number(request.to) || undefined,
        limit: Math.min(Math.max(request.limit || 100, 1), 1000),
      });
      const events = request.includeEvents
        ? await this.commands.events(rows.map((row) => row.id))
        : undefined;
      return {
        commands: rows.map((row) =>
          commandMessage(
            row,
            events?.filter((event) => event.commandId === row.id),
          ),
        ),
      };
    });
  }
}
