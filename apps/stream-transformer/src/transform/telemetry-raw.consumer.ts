import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { KafkaConsumerHost } from '@sluice/kafka';
import { TRANSFORMER_CONFIG, type TransformerConfig } from '../stream-transformer.config';
import { TelemetryTransformService } from './telemetry-transform.service';

/** Consumes telemetry.raw.v1; offsets are committed after each batch's outputs are in Kafka. */
@Injectable()
export class TelemetryRawConsumer implements OnModuleInit {
  constructor(
    private readonly consumers: KafkaConsumerHost,
    private readonly transform: TelemetryTransformService,
    @Inject(TRANSFORMER_CONFIG) private readonly config: TransformerConfig,
  ) {}

  onModuleInit(): void {
    this.consumers.register({
      groupId: this.config.TRANSFORMER_GROUP_ID,
      topics: [this.config.TOPIC_TELEMETRY_RAW],
      partitionsConcurrently: this.config.TRANSFORMER_CONCURRENCY,
      handler: (batch) => this.transform.handle(batch),
    });
  }
}
