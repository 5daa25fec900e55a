import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { Topics } from '@sluice/contracts';
import { KafkaConsumerHost } from '@sluice/kafka';
import { GATEWAY_CONFIG, type GatewayConfig } from '../gateway.config';
import { LiveStreamServer } from './live-stream.server';

/**
 * Feeds the WebSocket hub from telemetry.clean.v1. Each gateway instance needs every record (its
 * clients may subscribe to any device), so each has its own consumer group, starting at the latest
 * offset: a live view has no use for history, and a restart must not replay it to clients. It
 * consumes only while some client is subscribed to a device (see `attachReadingsFeed`).
 */
@Injectable()
export class CleanTelemetryLiveConsumer implements OnModuleInit {
  constructor(
    private readonly consumers: KafkaConsumerHost,
    private readonly server: LiveStreamServer,
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
  ) {}

  onModuleInit(): void {
    const instance =
      this.config.GATEWAY_INSTANCE_ID ??
      `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
    const consumer = this.consumers.register({
      groupId: `ingest-gateway-live-${instance}`,
      topics: [Topics.telemetryClean],
      fromBeginning: false,
      handler: async (batch) => {
        for (const message of batch.messages) this.server.deliver(message);
      },
    });
    // nobody is subscribed yet: it starts paused, and the server resumes it for the first client
    void consumer.pause();
    this.server.attachReadingsFeed({
      resume: () => consumer.resumeAtEnd(),
      pause: () => consumer.pause(),
    });
  }
}
