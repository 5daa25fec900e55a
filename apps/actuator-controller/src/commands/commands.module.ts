import { Module } from '@nestjs/common';
import { SafetyModule } from '../safety/safety.module';
import { ActuatorEventsConsumer } from './actuator-events.consumer';
import { CommandOutboxRelay } from './command-outbox.relay';
import { CommandSinks } from './command-sinks';
import { CommandsGrpcController } from './commands.grpc.controller';
import { CommandsRepository } from './commands.repository';
import { CommandsService } from './commands.service';

/** Commands: persisted, published through the outbox, retried, acknowledged, audited. */
@Module({
  imports: [SafetyModule],
  controllers: [CommandsGrpcController],
  providers: [
    CommandsRepository,
    CommandSinks,
    CommandOutboxRelay,
    CommandsService,
    ActuatorEventsConsumer,
  ],
  exports: [CommandsService, CommandSinks, CommandOutboxRelay],
})
export class CommandsModule {}
