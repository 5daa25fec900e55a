import { runService } from '@sluice/service-runtime';
import { simulatorEnvSchema } from './simulator.config';
import { SimulatorModule } from './simulator.module';

runService('simulator', simulatorEnvSchema, (config) => SimulatorModule.forRoot(config));
