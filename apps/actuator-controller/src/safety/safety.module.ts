import { Module } from '@nestjs/common';
import { ProgramsModule } from '../programs/programs.module';
import { SafetyGrpcController } from './safety.grpc.controller';
import { SafetyRepository } from './safety.repository';
import { SafetyService } from './safety.service';

/** Kill switch, manual overrides, priority arbitration with recorded conflicts, rate limit, dwell. */
@Module({
  imports: [ProgramsModule],
  controllers: [SafetyGrpcController],
  providers: [SafetyRepository, SafetyService],
  exports: [SafetyService],
})
export class SafetyModule {}
