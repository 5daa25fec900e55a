import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { ReadingsIngestModule } from '../readings-ingest/readings-ingest.module';
import { MqttBridgeService } from './mqtt-bridge.service';

/** MQTT telemetry → telemetry.raw.v1 (on when MQTT_URL is set). */
@Module({
  imports: [AuthModule, ReadingsIngestModule],
  providers: [MqttBridgeService],
  exports: [MqttBridgeService],
})
export class MqttBridgeModule {}
