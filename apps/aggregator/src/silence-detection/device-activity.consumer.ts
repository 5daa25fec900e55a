import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { KafkaConsumerHost } from '@sluice/kafka';
import { AGGREGATOR_CONFIG, type AggregatorConfig } from '../aggregator.config';
import { decodeCleanBatch } from '../clean-records/clean-record.decoder';
import { SilenceDetectionService } from './silence-detection.service';

/**
 * Records when each device was last heard from (telemetry.clean.v1, own consumer group) and
 * resolves the silence of devices that come back. Wall-clock time of receipt, not reading time:
 * a device replaying a backlog is talking.
 */
@Injectable()
export class DeviceActivityConsumer implements OnModuleInit {
  constructor(
    private readonly consumers: KafkaConsumerHost,
    private readonly silence: SilenceDetectionService,
    @Inject(AGGREGATOR_CONFIG) private readonly config: AggregatorConfig,
  ) {}

  onModuleInit(): void {
    if (!this.silence.isEnabled) return;
    this.consumers.register({
      groupId: this.config.SILENCE_GROUP_ID,
      topics: [this.config.TOPIC_TELEMETRY_CLEAN],
      // a restart need not replay history: only who talks from now on matters
      fromBeginning: false,
      handler: async (consumed) => {
        const now = Date.now();
        // malformed records are the raw sink's to dead-letter; here they are simply not activity
        const { records } = decodeCleanBatch(consumed, 'aggregator-silence', now);
        await this.silence.heard(
          records.map(({ batch }) => ({
            tenant: batch.tenant,
            device: batch.device,
            tags: batch.deviceTags,
          })),
          now,
        );
      },
    });
  }
}
