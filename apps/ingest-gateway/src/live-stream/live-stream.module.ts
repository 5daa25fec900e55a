import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { CleanTelemetryLiveConsumer } from './clean-telemetry.consumer';
import { IncidentNotificationsConsumer } from './incident-notifications.consumer';
import { LiveStreamServer } from './live-stream.server';

/**
 * WebSocket `/ws`: live readings of subscribed devices from telemetry.clean.v1, and incident
 * notifications of the tenant (`subscribe-alerts`) from notifications.v1.
 */
@Module({
  imports: [AuthModule],
  providers: [LiveStreamServer, CleanTelemetryLiveConsumer, IncidentNotificationsConsumer],
})
export class LiveStreamModule {}
