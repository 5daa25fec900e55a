// A minimal service for the runtime tests: its provider's beforeApplicationShutdown stands for a
// consumer finishing its in-flight batch and lasts until POST /release or SLOW_SHUTDOWN_MS, whichever
// comes first (the test decides when the work is done, no timing race); POST /echo reports
// the body size it accepted; POST /crash throws an uncaught exception outside any request.
import {
  type BeforeApplicationShutdown,
  Body,
  Controller,
  Injectable,
  Module,
  Post,
} from '@nestjs/common';
import { bootstrapService } from '../bootstrap-service';

@Injectable()
class InFlightWork implements BeforeApplicationShutdown {
  private release: () => void = () => undefined;
  private readonly released = new Promise<void>((resolve) => {
    this.release = resolve;
  });

  finish(): void {
    this.release();
  }

  async beforeApplicationShutdown(): Promise<void> {
    const ms = Number(process.env['SLOW_SHUTDOWN_MS'] ?? 0);
    await Promise.race([this.released, new Promise((resolve) => setTimeout(resolve, ms))]);
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

@Controller('release')
class ReleaseController {
  constructor(private readonly work: InFlightWork) {}

  @Post()
  release(): { released: true } {
    this.work.finish();
    return { released: true };
  }
}

@Controller('crash')
class CrashController {
  @Post()
  crash(): { scheduled: true } {
    setImmediate(() => {
      throw new Error('fixture crash');
    });
    return { scheduled: true };
  }
}

@Module({
  providers: [InFlightWork],
  controllers: [EchoController, CrashController, ReleaseController],
})
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
