import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import {
  CleanReadingBatchSchema,
  decodeRecord,
  readIngestTs,
  RecordDecodeError,
  Topics,
} from '@sluice/contracts';
import { KafkaConsumerHost } from '@sluice/kafka';
import { createCounter } from '@sluice/metrics';
import {
  ACTUATOR_CONTROLLER_CONFIG,
  type ActuatorControllerConfig,
} from '../actuator-controller.config';
import { EvaluationService, type DeviceReadings } from './evaluation.service';

const recordsConsumed = createCounter({
  name: 'sluice_actuator_controller_records_consumed_total',
  help: 'telemetry.clean.v1 records consumed for program evaluation',
});

const recordsInvalid = createCounter({
  name: 'sluice_actuator_controller_records_invalid_total',
  help: 'telemetry.clean.v1 records that violate the contract (skipped; the raw sink DLQs them)',
});

/**
 * Program evaluation on the clean stream. The topic is keyed by device, so each replica of the
 * consumer group evaluates the devices of its partitions, in order; offsets are committed only
 * after the batch's commands are persisted and published and the states saved.
 */
@Injectable()
export class TelemetryCleanEvaluationConsumer implements OnModuleInit {
  private readonly logger = new Logger(TelemetryCleanEvaluationConsumer.name);

  constructor(
    private readonly consumers: KafkaConsumerHost,
    private readonly evaluation: EvaluationService,
    @Inject(ACTUATOR_CONTROLLER_CONFIG) private readonly config: ActuatorControllerConfig,
  ) {}

  onModuleInit(): void {
    this.consumers.register({
      groupId: this.config.EVALUATION_GROUP_ID,
      topics: [Topics.telemetryClean],
      // a new deployment acts on what arrives from now on, not on the topic's history
      fromBeginning: false,
      partitionsConcurrently: this.config.EVALUATION_CONCURRENCY,
      handler: async (batch) => {
        recordsConsumed.inc(batch.messages.length);
        const inputs: DeviceReadings[] = [];
        for (const message of batch.messages) {
          try {
            const record = decodeRecord(CleanReadingBatchSchema, message.value);
            inputs.push({
              tenant: record.tenant,
              device: record.device,
              readings: record.readings,
              ingestTs: readIngestTs(message.headers),
            });
          } catch (error) {
            if (!(error instanceof RecordDecodeError)) throw error;
            recordsInvalid.inc();
            this.logger.warn({
              msg: 'invalid clean record skipped',
              offset: message.offset,
              error: error.message,
            });
          }
        }
        await this.evaluation.evaluateReadings(inputs);
      },
    });
  }
}
