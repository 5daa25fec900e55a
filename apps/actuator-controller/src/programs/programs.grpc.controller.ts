import { Controller } from '@nestjs/common';
import { GrpcMethod } from '@nestjs/microservices';
import type { DryRunStep } from '@sluice/programs';
import { epochMs, grpcCall } from '../actuator-controller.errors';
import { ProgramsService } from './programs.service';
import type { ProgramRow } from './programs.repository';

const SERVICE = 'ActuatorService';

export interface ProgramMessage {
  tenant: string;
  id: string;
  version: number;
  name: string;
  owner: string;
  priority: number;
  enabled: boolean;
  definitionJson: string;
  createdAt: number;
  updatedAt: number;
}

function toMessage(row: ProgramRow): ProgramMessage {
  return {
    tenant: row.tenant,
    id: row.id,
    version: row.version,
    name: row.name ?? '',
    owner: row.owner,
    priority: row.priority,
    enabled: row.enabled,
    definitionJson: JSON.stringify(row.definition),
    createdAt: epochMs(row.createdAt),
    updatedAt: epochMs(row.updatedAt),
  };
}

function stepMessage(step: DryRunStep): Record<string, unknown> {
  const action = step.action;
  return action.kind === 'command'
    ? {
        time: step.time,
        kind: 'command',
        actuator: action.actuator,
        command: action.command,
        paramsJson: JSON.stringify(action.params),
        reason: step.reason,
        path: action.path,
      }
    : {
        time: step.time,
        kind: 'alert',
        severity: action.severity,
        message: action.message,
        reason: step.reason,
        path: action.path,
      };
}

/** Programs over gRPC (`sluice.actuators.v1.ActuatorService`, program methods). */
@Controller()
export class ProgramsGrpcController {
  constructor(private readonly programs: ProgramsService) {}

  @GrpcMethod(SERVICE, 'ListPrograms')
  listPrograms(request: { tenant: string; enabled: string }) {
    return grpcCall(async () => {
      const enabled = request.enabled === '' ? undefined : request.enabled === 'true';
      return { programs: (await this.programs.list(request.tenant, enabled)).map(toMessage) };
    });
  }

  @GrpcMethod(SERVICE, 'GetProgram')
  getProgram(request: { tenant: string; id: string }) {
    return grpcCall(async () => toMessage(await this.programs.get(request.tenant, request.id)));
  }

  @GrpcMethod(SERVICE, 'CreateProgram')
  createProgram(request: { tenant: string; definitionJson: string; actor: string }) {
    return grpcCall(async () =>
      toMessage(await this.programs.create(request.tenant, request.definitionJson, request.actor)),
    );
  }

  @GrpcMethod(SERVICE, 'UpdateProgram')
  updateProgram(request: { tenant: string; id: string; definitionJson: string; actor: string }) {
    return grpcCall(async () =>
      toMessage(
        await this.programs.update(
          request.tenant,
          request.id,
          request.definitionJson,
          request.actor,
        ),
      ),
    );
  }

  @GrpcMethod(SERVICE, 'DeleteProgram')
  deleteProgram(request: { tenant: string; id: string }) {
    return grpcCall(async () => ({
      deleted: await this.programs.delete(request.tenant, request.id),
    }));
  }

  @GrpcMethod(SERVICE, 'SetProgramEnabled')
  setProgramEnabled(request: { tenant: string; id: string; enabled: boolean }) {
    return grpcCall(async () =>
      toMessage(await this.programs.setEnabled(request.tenant, request.id, request.enabled)),
    );
  }

  @GrpcMethod(SERVICE, 'ValidateProgram')
  validateProgram(request: { tenant: string; definitionJson: string; actor: string }) {
    return grpcCall(async () => {
      const outcome = await this.programs.validate(
        request.tenant,
        request.definitionJson,
        request.actor,
      );
      return outcome.ok
        ? { ok: true, issues: [], programJson: JSON.stringify(outcome.program) }
        : { ok: false, issues: outcome.issues, programJson: '' };
    });
  }

  @GrpcMethod(SERVICE, 'DryRunProgram')
  dryRunProgram(request: {
    tenant: string;
    id: string;
    from: string;
    to: string;
    tickMs: string;
    definitionJson: string;
  }) {
    return grpcCall(async () => {
      const result = await this.programs.dryRun(
        request.tenant,
        request.id,
        { from: Number(request.from), to: Number(request.to), tickMs: Number(request.tickMs) },
        request.definitionJson || undefined,
      );
      return { steps: result.steps.map(stepMessage), readings: result.readings };
    });
  }

  @GrpcMethod(SERVICE, 'ListTemplates')
  listTemplates(request: { tenant: string }) {
    return { templatesJson: JSON.stringify(this.programs.templates(request.tenant)) };
  }
}
