import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { ReadingsIngestModule } from '../readings-ingest/readings-ingest.module';
import { CsvUploadJobsService } from './csv-upload-jobs.service';
import { CsvUploadsController } from './csv-uploads.controller';
import { UploadBodyParsersRegistration } from './upload-body.parsers';
import { UploadJobsRepository } from './upload-jobs.repository';

/** `POST /api/v1/uploads` and its job resources: CSV files streamed into Kafka as background jobs. */
@Module({
  imports: [AuthModule, ReadingsIngestModule],
  controllers: [CsvUploadsController],
  providers: [UploadBodyParsersRegistration, UploadJobsRepository, CsvUploadJobsService],
})
export class CsvUploadsModule {}
