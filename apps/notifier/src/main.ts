import { z } from 'zod';
import { httpEnv, logEnv, shutdownEnv } from '@sluice/config';
import { runService } from '@sluice/service-runtime';
import { NotifierModule } from './notifier.module';

runService('notifier', z.object({ ...httpEnv(8084), ...logEnv, ...shutdownEnv }), () =>
  NotifierModule.forRoot(),
);
