// A minimal service for the graceful-shutdown test: its only provider takes SLOW_SHUTDOWN_MS to
// finish beforeApplicationShutdown, like a consumer finishing its in-flight batch.
import { type BeforeApplicationShutdown, Injectable, Module } from '@nestjs/common';
import { bootstrapService } from '../bootstrap-service';

@Injectable()
class InFlightWork implements BeforeApplicationShutdown {
  async beforeApplicationShutdown(): Promise<void> {
    const ms = Number(process.env['SLOW_SHUTDOWN_MS'] ?? 0);
    await new Promise((resolve) => setTimeout(resolve, ms));
    process.stdout.write(`${JSON.stringify({ msg: 'in-flight work finished' })}\n`);
  }
}

@Module({ providers: [InFlightWork] })
class FixtureModule {}

void bootstrapService(FixtureModule, {
  name: 'shutdown-fixture',
  port: 0,
  host: '127.0.0.1',
  graceMs: Number(process.env['GRACE_MS'] ?? 5000),
});
