import { Module } from '@nestjs/common';
import { ActuatorsModule } from '../actuators/actuators.module';
import { ProgramsController } from './programs.controller';

/** Programs CRUD, validate, dry run, enable/disable, templates → actuator-controller gRPC. */
@Module({ imports: [ActuatorsModule], controllers: [ProgramsController] })
export class ProgramsModule {}
