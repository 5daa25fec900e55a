import { runService } from '@sluice/service-runtime';
import { aggregatorEnvSchema } from './aggregator.config';
import { aggregatorGrpc, AggregatorModule } from './aggregator.module';

runService('aggregator', aggregatorEnvSchema, (config) => AggregatorModule.forRoot(config), {
  grpc: (config) => aggregatorGrpc(config),
});
