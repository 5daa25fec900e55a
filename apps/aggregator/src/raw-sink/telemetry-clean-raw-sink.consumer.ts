import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { KafkaConsumerHost } from '@sluice/kafka';
import { AGGREGATOR_CONFIG, type AggregatorConfig } from '../aggregator.config';
import { RawSinkService } from './raw-sink.service';

/** Consumes telemetry.clean.v1 into `readings`; offsets committed after the transaction. */
@Injectable()
export class TelemetryCleanRawSinkConsumer implements OnModuleInit {
  constructor(
    private readonly consumers: KafkaConsumerHost,
    private readonly sink: RawSinkService,
    @Inject(AGGREGATOR_CONFIG) private readonly config: AggregatorConfig,
  ) {}

  onModuleInit(): void {
    this.consumers.register({
      groupId: this.config.RAW_SINK_GROUP_ID,
      topics: [this.config.TOPIC_TELEMETRY_CLEAN],
      partitionsConcurrently: this.config.RAW_SINK_CONCURRENCY,
      handler: (batch) => this.sink.handle(batch),
    });
  }
}
