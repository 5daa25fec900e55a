import { randomUUID } from 'node:crypto';
import { Controller, type OnModuleDestroy } from '@nestjs/common';
import { GrpcMethod } from '@nestjs/microservices';
import { Observable } from 'rxjs';
import { ActuatorEventSchema, type ActuatorEvent } from '@sluice/contracts';
import { ControllerError, grpcCall } from '../actuator-controller.errors';
import { toCommandRecord } from '../commands/command-outbox.relay';
import { CommandSinks } from '../commands/command-sinks';
import { CommandsService } from '../commands/commands.service';

const SERVICE = 'ActuatorService';

/**
 * Edge agents over gRPC: `WatchCommands` streams the tenant's (or one actuator's) commands as they
 * are published, starting with those sent earlier and still unacknowledged; `Ack` reports the
 * outcome. Every retry is streamed again, so an agent must apply a command id once.
 */
@Controller()
export class CommandWatchGrpcController implements OnModuleDestroy {
  private readonly watchers = new Set<string>();

  constructor(
    private readonly sinks: CommandSinks,
    private readonly commands: CommandsService,
  ) {}

  @GrpcMethod(SERVICE, 'WatchCommands')
  watchCommands(request: {
    tenant: string;
    actuator: string;
  }): Observable<{ commandJson: string }> {
    return new Observable((subscriber) => {
      const name = `grpc-watch:${randomUUID()}`;
      this.watchers.add(name);
      this.sinks.register(name, (command) => {
        if (command.tenant !== request.tenant) return;
        if (request.actuator && command.actuator !== request.actuator) return;
        subscriber.next({ commandJson: JSON.stringify(command) });
      });
      void this.commands
        .open(request.tenant, request.actuator || undefined)
        .then((rows) => {
          for (const row of rows)
            subscriber.next({ commandJson: JSON.stringify(toCommandRecord(row)) });
        })
        .catch((error: unknown) => subscriber.error(error));
      return () => {
        this.sinks.unregister(name);
        this.watchers.delete(name);
      };
    });
  }

  @GrpcMethod(SERVICE, 'Ack')
  ack(request: {
    tenant: string;
    actuator: string;
    commandId: string;
    kind: string;
    stateJson: string;
  }) {
    return grpcCall(async () => {
      let state: unknown = {};
      try {
        state = request.stateJson ? JSON.parse(request.stateJson) : {};
      } catch {
        throw new ControllerError('invalid_argument', 'state_json is not JSON', [
          { path: 'state_json', message: 'invalid' },
        ]);
      }
      const parsed = ActuatorEventSchema.safeParse({
        tenant: request.tenant,
        actuator: request.actuator,
        kind: request.kind || 'ack',
        commandId: request.commandId || null,
        state,
        at: Date.now(),
      });
      if (!parsed.success) {
        throw new ControllerError(
          'invalid_argument',
          'invalid acknowledgement',
          parsed.error.issues.map((issue) => ({
            path: issue.path.join('.'),
            message: issue.message,
          })),
        );
      }
      const event: ActuatorEvent = parsed.data;
      return { status: await this.commands.handleEvent(event, 'grpc') };
    });
  }

  onModuleDestroy(): void {
    for (const name of this.watchers) this.sinks.unregister(name);
  }
}
