// A minimal service for the runtime tests: its only provider takes SLOW_SHUTDOWN_MS to finish
// beforeApplicationShutdown (like a consumer finishing its in-flight batch); POST /echo reports
// the body size it accepted; CRASH_AFTER_MS throws an uncaught exception from a timer.
import {
  type BeforeApplicationShutdown,
  Body,
  Controller,
  Injectable,
  Module,
  type OnApplicationBootstrap,
  Post,
} from '@nestjs/common';
import { bootstrapService } from '../bootstrap-service';

@Injectable()
class InFlightWork implements BeforeApplicationShutdown, OnApplicationBootstrap {
  onApplicationBootstrap(): void {
    const crashAfter = process.env['CRASH_AFTER_MS'];
    if (crashAfter !== undefined) {
      setTimeout(() => {
        throw new Error('fixture crash');
      }, Number(crashAfter));
    }
  }

  async beforeApplicationShutdown(): Promise<void> {
    const ms = Number(process.env['SLOW_SHUTDOWN_MS'] ?? 0);
    await new Promise((resolve) => setTimeout(resolve, ms));
    process.stdout.write(`${JSON.stringify({ msg: 'in-flight work finished' })}\n`);
  }
}

@Controller('echo')
class EchoController {
  @Post()
  echo(@Body() body: { data: string }): { bytes: number } {
    return { bytes: body.data.length };
  }
}

@Module({ providers: [InFlightWork], controllers: [EchoController] })
class FixtureModule {}

void bootstrapService(FixtureModule, {
  name: 'runtime-fixture',
  port: 0,
  host: '127.0.0.1',
  graceMs: Number(process.env['GRACE_MS'] ?? 5000),
  ...(process.env['BODY_LIMIT'] === undefined
    ? {}
    : { bodyLimit: Number(process.env['BODY_LIMIT']) }),
});
