import { Module } from '@nestjs/common';
import { IncidentsController } from './incidents.controller';
import { NotifierClient } from './notifier.client';

/** Incidents, silences, channels and deliveries → notifier gRPC (`sluice.alerts.v1`). */
@Module({
  controllers: [IncidentsController],
  providers: [NotifierClient],
})
export class IncidentsModule {}
