import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { CleanTelemetryLiveConsumer } from './clean-telemetry.consumer';
import { LiveStreamServer } from './live-stream.server';

/** WebSocket `/ws`: live readings of subscribed devices from telemetry.clean.v1. */
@Module({
  imports: [AuthModule],
  providers: [LiveStreamServer, CleanTelemetryLiveConsumer],
})
export class LiveStreamModule {}
