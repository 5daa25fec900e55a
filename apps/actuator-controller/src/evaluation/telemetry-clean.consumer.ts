import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { parseDeviceKey, readIngestTs, RecordDecodeError, Topics } from '@sluice/contracts';
import { KafkaConsumerHost } from '@sluice/kafka';
import { createCounter } from '@sluice/metrics';
import {
  ACTUATOR_CONTROLLER_CONFIG,
  type ActuatorControllerConfig,
} from '../actuator-controller.config';
import { ProgramCatalog } from '../programs/program-catalog';
import { decodeProgramInput } from './program-input.decoder';
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
 * after the batch's commands are persisted and published and the states saved. The key also says
 * whose readings a record holds, so records of devices no program reads are not decoded at all.
 */
@Injectable()
export class TelemetryCleanEvaluationConsumer implements OnModuleInit {
  private readonly logger = new Logger(TelemetryCleanEvaluationConsumer.name);

  constructor(
    private readonly consumers: KafkaConsumerHost,
    private readonly evaluation: EvaluationService,
    private readonly catalog: ProgramCatalog,
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
          const keyed = message.key === null ? undefined : parseDeviceKey(message.key);
          const programs = keyed && this.catalog.forDevice(keyed.tenant, keyed.device);
          if (programs?.length === 0) continue;
          try {
            const input = decodeProgramInput(message.value);
            inputs.push({
              tenant: input.tenant,
              device: input.device,
              readings: input.readings,
              ingestTs: readIngestTs(message.headers),
              // the key names the record's device; a record whose body says otherwise is looked up
              programs:
                keyed?.tenant === input.tenant && keyed.device === input.device
                  ? programs
                  : undefined,
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
        const last = batch.messages[batch.messages.length - 1];
        await this.evaluation.evaluateReadings(inputs, {
          partition: `${batch.topic}/${batch.partition}`,
          firstOffset: batch.messages[0].offset,
          nextOffset: String(BigInt(last.offset) + 1n),
        });
      },
    });
  }
}
