import { Injectable, type OnModuleInit } from '@nestjs/common';
import { Topics } from '@sluice/contracts';
import { KafkaConsumerHost } from '@sluice/kafka';
import { createCounter } from '@sluice/metrics';

const recordsConsumed = createCounter({
  name: 'sluice_actuator_controller_records_consumed_total',
  help: 'telemetry.clean.v1 records consumed (program evaluation comes with the actuator issue)',
});

/**
 * Consumes the clean stream the programs will be evaluated on. For now it only counts, so the
 * consumer group, its lag metrics and the service's lifecycle are in place for the actuator issue.
 */
@Injectable()
export class CleanTelemetryConsumer implements OnModuleInit {
  constructor(private readonly consumers: KafkaConsumerHost) {}

  onModuleInit(): void {
    this.consumers.register({
      groupId: 'actuator-controller',
      topics: [Topics.telemetryClean],
      handler: async (batch) => {
        recordsConsumed.inc(batch.messages.length);
      },
    });
  }
}
