import { Injectable } from '@nestjs/common';
import type { ActuatorCommand } from '@sluice/contracts';

/** Something besides Kafka that delivers commands to agents (MQTT bridge, gRPC watchers). */
export type CommandSink = (command: ActuatorCommand) => void | Promise<void>;

/**
 * Delivery channels register here so the outbox relay can fan a command out without depending on
 * the delivery module (which in turn depends on this one for acknowledgements).
 */
@Injectable()
export class CommandSinks {
  private readonly sinks = new Map<string, CommandSink>();

  register(name: string, sink: CommandSink): void {
    this.sinks.set(name, sink);
  }

  unregister(name: string): void {
    this.sinks.delete(name);
  }

  async deliver(commands: readonly ActuatorCommand[]): Promise<void> {
    for (const sink of this.sinks.values()) {
      for (const command of commands) await sink(command);
    }
  }
}
