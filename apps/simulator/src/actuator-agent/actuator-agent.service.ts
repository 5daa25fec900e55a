import { Injectable, Logger, type OnModuleInit, type OnApplicationShutdown } from '@nestjs/common';
import {
  ActuatorCommandSchema,
  buildHeaders,
  decodeRecord,
  encodeRecord,
  RecordDecodeError,
  Topics,
  type ActuatorEvent,
} from '@sluice/contracts';
import { KafkaConsumerHost, KafkaProducer } from '@sluice/kafka';
import { createCounter } from '@sluice/metrics';
import { SimulationService } from '../simulation/simulation.service';
import { ActuatorAgent, type ReceivedCommand } from './actuator-agent';

const commandsReceived = createCounter({
  name: 'sluice_simulator_agent_commands_total',
  help: 'Actuator commands received by the simulator agent, by outcome (applied, refused, expired, duplicate, foreign)',
  labelNames: ['outcome'] as const,
});

/**
 * Consumes actuator.commands.v1 (consumer group `simulator-agent`), applies each command to the
 * simulated room once, and publishes the ack/nack with the actuator's state to actuator.events.v1.
 * Offsets are committed after the acks are published.
 */
@Injectable()
export class ActuatorAgentService implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(ActuatorAgentService.name);
  private readonly agent: ActuatorAgent;

  constructor(
    private readonly consumers: KafkaConsumerHost,
    private readonly producer: KafkaProducer,
    simulation: SimulationService,
  ) {
    this.agent = new ActuatorAgent((device) => simulation.actuatorsOf(device));
  }

  onModuleInit(): void {
    this.consumers.register({
      groupId: 'simulator-agent',
      topics: [Topics.actuatorCommands],
      fromBeginning: false,
      handler: async (batch) => {
        const events: ActuatorEvent[] = [];
        for (const message of batch.messages) {
          let command;
          try {
            command = decodeRecord(ActuatorCommandSchema, message.value);
          } catch (error) {
            if (!(error instanceof RecordDecodeError)) throw error;
            this.logger.warn({
              msg: 'invalid actuator command skipped',
              offset: message.offset,
              error: error.message,
            });
            continue;
          }
          const result = this.agent.handle(command, Date.now());
          if (!result.event) {
            commandsReceived.inc({ outcome: 'foreign' });
            continue;
          }
          const outcome =
            this.agent.received().find((entry) => entry.id === command.id)?.outcome ?? 'applied';
          commandsReceived.inc({ outcome: result.duplicate ? 'duplicate' : outcome });
          events.push(result.event);
        }
        await this.producer.send(
          Topics.actuatorEvents,
          events.map((event) => ({
            key: `${event.tenant}/${event.actuator}`,
            value: encodeRecord(event),
            headers: buildHeaders({ ingestTs: event.at }),
          })),
        );
      },
    });
  }

  received(): ReceivedCommand[] {
    return this.agent.received();
  }

  onApplicationShutdown(): void {
    this.agent.stop();
  }
}
