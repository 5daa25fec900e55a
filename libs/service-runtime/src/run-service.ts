import type { DynamicModule } from '@nestjs/common';
import { ConfigError, loadConfig } from '@sluice/config';
import type { z } from 'zod';
import type { GrpcServerConfig } from '@sluice/grpc';
import { bootstrapService } from './bootstrap-service';

/** The environment every service shares (httpEnv, logEnv and shutdownEnv of @sluice/config). */
interface ServiceEnv {
  PORT: number;
  HOST: string;
  LOG_LEVEL: string;
  SHUTDOWN_GRACE_MS: number;
  HTTP_BODY_LIMIT_BYTES?: number;
}

export const CONFIG_ERROR_EXIT_CODE = 2;

/**
 * A service's whole `main.ts`: validate the environment, build the root module from it, start.
 * An invalid environment prints the list of what is wrong (no stack trace: it is the operator's
 * input, not a bug) and exits with code 2, so a crash-looping pod says why in one glance.
 */
export function runService<S extends z.ZodObject>(
  name: string,
  envSchema: S,
  rootModule: (config: z.output<S> & ServiceEnv) => DynamicModule,
  extras: { grpc?: (config: z.output<S> & ServiceEnv) => GrpcServerConfig | undefined } = {},
): void {
  let module: DynamicModule;
  let config: z.output<S> & ServiceEnv;
  try {
    config = loadConfig(envSchema, process.env, name) as z.output<S> & ServiceEnv;
    module = rootModule(config);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(CONFIG_ERROR_EXIT_CODE);
    }
    throw error;
  }
  void bootstrapService(module, {
    name,
    port: config.PORT,
    host: config.HOST,
    graceMs: config.SHUTDOWN_GRACE_MS,
    bodyLimit: config.HTTP_BODY_LIMIT_BYTES,
    logLevel: config.LOG_LEVEL,
    grpc: extras.grpc?.(config),
  });
}
