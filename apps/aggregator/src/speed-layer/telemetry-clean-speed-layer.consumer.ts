import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { KafkaConsumerHost } from '@sluice/kafka';
import { AGGREGATOR_CONFIG, type AggregatorConfig } from '../aggregator.config';
import { SpeedLayerService } from './speed-layer.service';

/**
 * Consumes telemetry.clean.v1 into the Redis speed layer. One partition at a time per instance is
 * enough: a batch costs one pipelined round trip.
 */
@Injectable()
export class TelemetryCleanSpeedLayerConsumer implements OnModuleInit {
  constructor(
    private readonly consumers: KafkaConsumerHost,
    private readonly speedLayer: SpeedLayerService,
    @Inject(AGGREGATOR_CONFIG) private readonly config: AggregatorConfig,
  ) {}

  onModuleInit(): void {
    this.consumers.register({
      groupId: this.config.SPEED_LAYER_GROUP_ID,
      topics: [this.config.TOPIC_TELEMETRY_CLEAN],
      handler: (batch) => this.speedLayer.handle(batch),
    });
  }
}
