import { type DynamicModule, Module, type Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { grpcServerOptions, type GrpcServerConfig } from '@sluice/grpc';
import { HealthModule } from '@sluice/health';
import { createLogger, type Logger, NestPinoLogger } from '@sluice/logging';
import { instrumentHttpServer, MetricsModule, setServiceLabel } from '@sluice/metrics';
import type { FastifyServerOptions } from 'fastify';
import { installCrashHandlers } from './crash-handlers';
import { installGracefulShutdown } from './graceful-shutdown';

export const DEFAULT_BODY_LIMIT_BYTES = 10 * 1024 * 1024;
export const DEFAULT_GRACE_MS = 25_000;

export interface ServiceOptions {
  /** Service name: the `service` field of every log line and label of every metric. */
  name: string;
  port: number;
  host?: string;
  /** Hard shutdown deadline (SHUTDOWN_GRACE_MS); keep below the pod's terminationGracePeriodSeconds. */
  graceMs?: number;
  /** Largest accepted request body (HTTP_BODY_LIMIT_BYTES); larger bodies get 413. */
  bodyLimit?: number;
  logLevel?: string;
  logger?: Logger;
  /** Extra Fastify server options (trustProxy, keepAliveTimeout, ...). */
  fastify?: Omit<FastifyServerOptions, 'bodyLimit' | 'logger'>;
  /** Also serve these gRPC services (NestJS gRPC transport, same modules as HTTP). */
  grpc?: GrpcServerConfig;
}

@Module({})
class ServiceRootModule {}

/**
 * Starts a Sluice service: Fastify HTTP server with /metrics and /health always mounted, pino
 * logging for Nest, fatal logging of crashes, graceful shutdown with a deadline. Resolves once
 * the server listens.
 */
export async function bootstrapService(
  appModule: Type<unknown> | DynamicModule,
  options: ServiceOptions,
): Promise<NestFastifyApplication> {
  const logger = options.logger ?? createLogger(options.name, options.logLevel);
  installCrashHandlers(logger);
  setServiceLabel(options.name);

  const root: DynamicModule = {
    module: ServiceRootModule,
    imports: [HealthModule, MetricsModule, appModule],
  };
  const adapter = new FastifyAdapter({
    ...options.fastify,
    bodyLimit: options.bodyLimit ?? DEFAULT_BODY_LIMIT_BYTES,
  });
  const app = await NestFactory.create<NestFastifyApplication>(root, adapter, {
    logger: new NestPinoLogger(logger),
    // fail with an error we log (and a non-zero exit) instead of process.abort() and a core dump
    abortOnError: false,
  });
  installGracefulShutdown(app, { logger, graceMs: options.graceMs ?? DEFAULT_GRACE_MS });
  instrumentHttpServer(app.getHttpAdapter().getInstance());

  if (options.grpc) {
    app.connectMicroservice(grpcServerOptions(options.grpc), { inheritAppConfig: true });
    await app.startAllMicroservices();
    logger.info({ url: options.grpc.url, packages: options.grpc.packages }, 'gRPC listening');
  }
  await app.listen(options.port, options.host ?? '0.0.0.0');
  const address = app.getHttpServer().address();
  const port = typeof address === 'object' && address !== null ? address.port : options.port;
  logger.info({ url: `http://${options.host ?? '0.0.0.0'}:${port}`, port }, 'listening');
  return app;
}
