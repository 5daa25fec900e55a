import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import {
  AlertEventSchema,
  decodeRecord,
  RecordDecodeError,
  type AlertEvent,
} from '@sluice/contracts';
import { KafkaConsumerHost } from '@sluice/kafka';
import { createCounter } from '@sluice/metrics';
import { IncidentService } from '../incidents/incident.service';
import { NOTIFIER_CONFIG, type NotifierConfig } from '../notifier.config';

const alertsConsumed = createCounter({
  name: 'sluice_notifier_alerts_consumed_total',
  help: 'alerts.v1 records consumed',
});
const alertsInvalid = createCounter({
  name: 'sluice_notifier_alerts_invalid_total',
  help: 'alerts.v1 records skipped because they do not match the AlertEvent contract',
});

/**
 * Consumes alerts.v1 (any producer: transformer detectors, aggregator silence, actuator-controller,
 * pipeline health) into incidents. The offset is committed after the batch's transaction, so a
 * crash replays the batch, and the seen-id table makes the replay a no-op.
 */
@Injectable()
export class AlertsConsumer implements OnModuleInit {
  private readonly logger = new Logger('AlertsConsumer');

  constructor(
    private readonly consumers: KafkaConsumerHost,
    private readonly incidents: IncidentService,
    @Inject(NOTIFIER_CONFIG) private readonly config: NotifierConfig,
  ) {}

  onModuleInit(): void {
    this.consumers.register({
      groupId: this.config.ALERTS_GROUP_ID,
      topics: [this.config.TOPIC_ALERTS],
      handler: async (batch) => {
        alertsConsumed.inc(batch.messages.length);
        const events: AlertEvent[] = [];
        for (const message of batch.messages) {
          try {
            events.push(decodeRecord(AlertEventSchema, message.value));
          } catch (error) {
            if (!(error instanceof RecordDecodeError)) throw error;
            // a malformed alert cannot become an incident; it is counted and logged, never retried
            alertsInvalid.inc();
            this.logger.warn(
              `skipping alerts.v1 ${batch.partition}@${message.offset}: ${error.message}`,
            );
          }
        }
        await this.incidents.ingest(events);
      },
    });
  }
}
