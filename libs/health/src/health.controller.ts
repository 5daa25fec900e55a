import { Controller, Get, ServiceUnavailableException } from '@nestjs/common';
import { HealthService } from './health.service';
import type { HealthReport } from './health.types';

@Controller('health')
export class HealthController {
  constructor(private readonly health: HealthService) {}

  /** Readiness with every check's detail; 503 when a check fails or the service is draining. */
  @Get()
  detail(): Promise<HealthReport> {
    return this.readiness();
  }

  /** Liveness: the process and its event loop answer. Dependencies are deliberately not checked,
   * so an outage of PostgreSQL does not make Kubernetes restart every pod. */
  @Get('live')
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  @Get('ready')
  async readiness(): Promise<HealthReport> {
    const report = await this.health.report();
    if (report.status !== 'ok') throw new ServiceUnavailableException(report);
    return report;
  }
}
