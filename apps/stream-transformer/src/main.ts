import { runService } from '@sluice/service-runtime';
import { transformerEnvSchema } from './stream-transformer.config';
import { StreamTransformerModule } from './stream-transformer.module';

runService('stream-transformer', transformerEnvSchema, (config) =>
  StreamTransformerModule.forRoot(config),
);
