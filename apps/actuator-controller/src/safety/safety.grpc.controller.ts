import { Controller } from '@nestjs/common';
import { GrpcMethod } from '@nestjs/microservices';
import { epochMs, grpcCall } from '../actuator-controller.errors';
import { SafetyRepository } from './safety.repository';
import { SafetyService } from './safety.service';

const SERVICE = 'ActuatorService';

/** Conflicts and the tenant kill switch over gRPC. */
@Controller()
export class SafetyGrpcController {
  constructor(
    private readonly safety: SafetyService,
    private readonly repository: SafetyRepository,
  ) {}

  @GrpcMethod(SERVICE, 'ListConflicts')
  listConflicts(request: { tenant: string; actuator: string; limit: number }) {
    return grpcCall(async () => ({
      conflicts: (
        await this.repository.listConflicts(
          request.tenant,
          request.actuator || undefined,
          Math.min(Math.max(request.limit || 100, 1), 1000),
        )
      ).map((conflict) => ({
        seq: conflict.seq,
        actuator: conflict.actuator,
        winnerKind: conflict.winnerKind,
        winnerId: conflict.winnerId,
        winnerPriority: conflict.winnerPriority ?? 0,
        winnerCommandJson: JSON.stringify(conflict.winnerCommand),
        loserProgram: conflict.loserProgram,
        loserPriority: conflict.loserPriority,
        loserCommandJson: JSON.stringify(conflict.loserCommand),
        rule: conflict.rule,
        at: epochMs(conflict.at),
      })),
    }));
  }

  @GrpcMethod(SERVICE, 'SetKillSwitch')
  setKillSwitch(request: { tenant: string; active: boolean; reason: string; changedBy: string }) {
    return grpcCall(async () => {
      const row = await this.safety.setKillSwitch(
        request.tenant,
        request.active,
        request.reason || null,
        request.changedBy,
      );
      return { ...row, reason: row.reason ?? '', changedAt: epochMs(row.changedAt) };
    });
  }
}
