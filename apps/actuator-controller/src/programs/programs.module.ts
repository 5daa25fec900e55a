import { Module } from '@nestjs/common';
import { DemoProgramsSeeder } from './demo-programs.seeder';
import { ProgramCatalog } from './program-catalog';
import { ProgramsGrpcController } from './programs.grpc.controller';
import { ProgramsRepository } from './programs.repository';
import { ProgramsService } from './programs.service';

/** Programs: storage with versions, CRUD/validate/dry-run over gRPC, the catalog evaluation runs. */
@Module({
  controllers: [ProgramsGrpcController],
  providers: [ProgramsRepository, ProgramsService, ProgramCatalog, DemoProgramsSeeder],
  exports: [ProgramCatalog, ProgramsService, ProgramsRepository],
})
export class ProgramsModule {}
