import { Module, type DynamicModule } from '@nestjs/common';
import { PROTO_ROOT } from '@sluice/contracts';
import { DbModule } from '@sluice/db';
import type { GrpcServerConfig } from '@sluice/grpc';
import { KafkaModule } from '@sluice/kafka';
import { RedisModule } from '@sluice/redis';
import {
  ACTUATOR_CONTROLLER_CONFIG,
  type ActuatorControllerConfig,
} from './actuator-controller.config';
import { CommandsModule } from './commands/commands.module';
import { DeliveryModule } from './delivery/delivery.module';
import { EvaluationModule } from './evaluation/evaluation.module';
import { ProgramsModule } from './programs/programs.module';
import { RetentionModule } from './retention/retention.module';
import { SafetyModule } from './safety/safety.module';

@Module({})
class ActuatorControllerConfigModule {
  static forRoot(config: ActuatorControllerConfig): DynamicModule {
    return {
      module: ActuatorControllerConfigModule,
      global: true,
      providers: [{ provide: ACTUATOR_CONTROLLER_CONFIG, useValue: config }],
      exports: [ACTUATOR_CONTROLLER_CONFIG],
    };
  }
}

/** The gRPC server of the controller: `sluice.actuators.v1.ActuatorService`. */
export function actuatorControllerGrpc(
  config: Pick<ActuatorControllerConfig, 'GRPC_PORT'>,
  host = '0.0.0.0',
): GrpcServerConfig {
  return {
    url: `${host}:${config.GRPC_PORT}`,
    protoFiles: [`${PROTO_ROOT}/sluice/actuators.proto`],
    packages: ['sluice.actuators.v1'],
  };
}

/**
 * The actuator-controller: programs (CRUD, validation, dry run), their evaluation on the clean
 * stream and timers, safety rules, commands through an outbox with acks and retries, and delivery
 * over Kafka, gRPC and MQTT (bootstrapService adds /metrics and /health).
 */
@Module({})
export class ActuatorControllerModule {
  /** `env` is passed on to the libs that read their own variables (Kafka). */
  static forRoot(
    config: ActuatorControllerConfig,
    env: NodeJS.ProcessEnv = process.env,
  ): DynamicModule {
    return {
      module: ActuatorControllerModule,
      imports: [
        ActuatorControllerConfigModule.forRoot(config),
        DbModule.forRoot({
          url: config.DATABASE_URL,
          max: config.DATABASE_POOL_MAX,
          ssl: config.DATABASE_SSL,
          schema: config.DATABASE_SCHEMA,
          applicationName: 'actuator-controller',
        }),
        RedisModule.forRoot({
          url: config.REDIS_URL,
          keyPrefix: config.REDIS_KEY_PREFIX,
          connectionName: 'actuator-controller',
        }),
        KafkaModule.forRoot({ clientId: 'actuator-controller', env }),
        ProgramsModule,
        SafetyModule,
        CommandsModule,
        EvaluationModule,
        DeliveryModule,
        RetentionModule.register(config),
      ],
    };
  }
}
