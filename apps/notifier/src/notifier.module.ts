import { Module, type DynamicModule } from '@nestjs/common';
import { KafkaModule } from '@sluice/kafka';
import { AlertsConsumer } from './alert-intake/alerts.consumer';

/** Alert lifecycle and delivery (notifier issue); for now the alerts consumer only. */
@Module({})
export class NotifierModule {
  /** `env` carries the KAFKA_* variables (tests pass their own broker). */
  static forRoot(env: NodeJS.ProcessEnv = process.env): DynamicModule {
    return {
      module: NotifierModule,
      imports: [KafkaModule.forRoot({ clientId: 'notifier', env })],
      providers: [AlertsConsumer],
    };
  }
}
