import { Module } from '@nestjs/common';
import { CommandsModule } from '../commands/commands.module';
import { ProgramsModule } from '../programs/programs.module';
import { EvaluationService } from './evaluation.service';
import { ProgramStateStore } from './program-state.store';
import { ProgramTickScheduler } from './program-tick.scheduler';
import { TelemetryCleanEvaluationConsumer } from './telemetry-clean.consumer';

/** Programs evaluated on telemetry.clean.v1 and on timer ticks, with their state in Redis. */
@Module({
  imports: [ProgramsModule, CommandsModule],
  providers: [
    ProgramStateStore,
    EvaluationService,
    TelemetryCleanEvaluationConsumer,
    ProgramTickScheduler,
  ],
  exports: [EvaluationService, ProgramTickScheduler],
})
export class EvaluationModule {}
