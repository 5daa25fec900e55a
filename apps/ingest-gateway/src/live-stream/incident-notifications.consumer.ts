import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { decodeRecord, IncidentNotificationSchema, RecordDecodeError } from '@sluice/contracts';
import { KafkaConsumerHost } from '@sluice/kafka';
import { GATEWAY_CONFIG, type GatewayConfig } from '../gateway.config';
import { LiveStreamServer } from './live-stream.server';

/** Idempotency keys remembered to drop repeats (the notifier's outbox may publish twice after a crash). */
const RECENT_KEYS = 10_000;

/**
 * Feeds `{"type":"incident"}` frames to /ws alert subscribers from notifications.v1. Like the
 * live readings feed, each gateway instance has its own consumer group starting at the latest
 * offset: every instance needs every notification, and history is the incidents API's job.
 */
@Injectable()
export class IncidentNotificationsConsumer implements OnModuleInit {
  private readonly logger = new Logger(IncidentNotificationsConsumer.name);
  private readonly recent = new Set<string>();

  constructor(
    private readonly consumers: KafkaConsumerHost,
    private readonly server: LiveStreamServer,
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
  ) {}

  onModuleInit(): void {
    const instance =
      this.config.GATEWAY_INSTANCE_ID ??
      `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
    this.consumers.register({
      groupId: `ingest-gateway-alerts-${instance}`,
      topics: [this.config.TOPIC_NOTIFICATIONS],
      fromBeginning: false,
      handler: async (batch) => {
        for (const message of batch.messages) {
          try {
            const record = decodeRecord(IncidentNotificationSchema, message.value);
            if (this.seen(record.idempotencyKey)) continue;
            this.server.deliverIncident(record);
          } catch (error) {
            if (!(error instanceof RecordDecodeError)) throw error;
            this.logger.warn(`skipping undecodable notification at offset ${message.offset}`);
          }
        }
      },
    });
  }

  private seen(key: string): boolean {
    if (this.recent.has(key)) return true;
    this.recent.add(key);
    if (this.recent.size > RECENT_KEYS) {
      const oldest = this.recent.values().next().value;
      if (oldest !== undefined) this.recent.delete(oldest);
    }
    return false;
  }
}
