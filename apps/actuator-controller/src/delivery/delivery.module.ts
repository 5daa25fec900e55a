import { Module } from '@nestjs/common';
import { CommandsModule } from '../commands/commands.module';
import { CommandWatchGrpcController } from './command-watch.grpc.controller';
import { MqttBridge } from './mqtt.bridge';

/** Delivery besides Kafka: gRPC WatchCommands/Ack for edge agents, MQTT commands/acks topics. */
@Module({
  imports: [CommandsModule],
  controllers: [CommandWatchGrpcController],
  providers: [MqttBridge],
})
export class DeliveryModule {}
