import { runService } from '@sluice/service-runtime';
import { aggregatorEnvSchema } from './aggregator.config';
import { AggregatorModule } from './aggregator.module';

runService('aggregator', aggregatorEnvSchema, (config) => AggregatorModule.forRoot(config));
