import { Global, Module } from '@nestjs/common';
import { MetricsController } from './metrics.controller';

/** Exposes `GET /metrics` (Prometheus text format) from the process registry. */
@Global()
@Module({ controllers: [MetricsController] })
export class MetricsModule {}
