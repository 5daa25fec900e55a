import { Module } from '@nestjs/common';
import { KafkaModule } from '@sluice/kafka';
import { AlertsConsumer } from './alert-intake/alerts.consumer';

/** Alert lifecycle and delivery (notifier issue); for now the alerts consumer only. */
@Module({
  imports: [KafkaModule.forRoot({ clientId: 'notifier' })],
  providers: [AlertsConsumer],
})
export class NotifierModule {}
