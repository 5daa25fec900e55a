import { Injectable, type OnModuleInit } from '@nestjs/common';
import { Topics } from '@sluice/contracts';
import { KafkaConsumerHost } from '@sluice/kafka';
import { createCounter } from '@sluice/metrics';

const alertsConsumed = createCounter({
  name: 'sluice_notifier_alerts_consumed_total',
  help: 'alerts.v1 records consumed (alert lifecycle and delivery come with the notifier issue)',
});

/**
 * Consumes alerts.v1. For now it only counts, so the consumer group, its lag metrics and the
 * service's lifecycle are in place for the notifier issue (dedupe, cooldown, delivery).
 */
@Injectable()
export class AlertsConsumer implements OnModuleInit {
  constructor(private readonly consumers: KafkaConsumerHost) {}

  onModuleInit(): void {
    this.consumers.register({
      groupId: 'notifier',
      topics: [Topics.alerts],
      handler: async (batch) => {
        alertsConsumed.inc(batch.messages.length);
      },
    });
  }
}
