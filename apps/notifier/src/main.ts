import { runService } from '@sluice/service-runtime';
import { notifierEnvSchema } from './notifier.config';
import { NotifierModule } from './notifier.module';

runService('notifier', notifierEnvSchema, (config) => NotifierModule.forRoot(config), {
  grpc: (config) => ({
    url: `0.0.0.0:${config.GRPC_PORT}`,
    protoFiles: ['sluice/alerts.proto'],
    packages: ['sluice.alerts.v1'],
  }),
});
