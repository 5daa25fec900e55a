import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { ActuatorEventSchema, decodeRecord, RecordDecodeError, Topics } from '@sluice/contracts';
import { KafkaConsumerHost } from '@sluice/kafka';
import { createCounter } from '@sluice/metrics';
import {
  ACTUATOR_CONTROLLER_CONFIG,
  type ActuatorControllerConfig,
} from '../actuator-controller.config';
import { CommandsService } from './commands.service';

const eventsConsumed = createCounter({
  name: 'sluice_actuator_controller_actuator_events_total',
  help: 'actuator.events.v1 records consumed, by outcome (acknowledged, failed, ignored, state, invalid)',
  labelNames: ['outcome'] as const,
});

/** Acknowledgements and state reports of Kafka-connected agents (actuator.events.v1). */
@Injectable()
export class ActuatorEventsConsumer implements OnModuleInit {
  private readonly logger = new Logger(ActuatorEventsConsumer.name);

  constructor(
    private readonly consumers: KafkaConsumerHost,
    private readonly commands: CommandsService,
    @Inject(ACTUATOR_CONTROLLER_CONFIG) private readonly config: ActuatorControllerConfig,
  ) {}

  onModuleInit(): void {
    this.consumers.register({
      groupId: this.config.EVENTS_GROUP_ID,
      topics: [Topics.actuatorEvents],
      handler: async (batch) => {
        for (const message of batch.messages) {
          let event;
          try {
            event = decodeRecord(ActuatorEventSchema, message.value);
          } catch (error) {
            if (!(error instanceof RecordDecodeError)) throw error;
            // an agent's malformed report cannot be fixed by retrying: counted and logged
            eventsConsumed.inc({ outcome: 'invalid' });
            this.logger.warn({
              msg: 'invalid actuator event',
              offset: message.offset,
              error: error.message,
            });
            continue;
          }
          eventsConsumed.inc({ outcome: await this.commands.handleEvent(event, 'kafka') });
        }
      },
    });
  }
}
