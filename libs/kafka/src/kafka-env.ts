import { accessSync, constants, readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import { envInteger, kafkaEnv, loadConfig, type EnvSource } from '@sluice/config';
import { z } from 'zod';
import { DEFAULT_LAG_REFRESH_MS } from './batch-consumer';
import type { KafkaConnectionOptions } from './kafka-client.factory';

const readableFile = z.string().refine(
  (path) => {
    try {
      accessSync(path, constants.R_OK);
      return true;
    } catch {
      return false;
    }
  },
  { error: 'must be a readable file' },
);

/**
 * Everything KafkaModule reads from the environment. Combinations are checked here so a half
 * configured SASL or client certificate fails at start naming the variable, instead of silently
 * connecting without authentication (the old behaviour) and failing later with an opaque error.
 */
export const kafkaModuleEnv = z
  .object({
    ...kafkaEnv,
    KAFKA_PRODUCE_TIMEOUT_MS: z.coerce.number().int().min(100).default(10_000),
    KAFKA_LAG_REFRESH_MS: envInteger({ min: 0, default: DEFAULT_LAG_REFRESH_MS }),
    /** PEM CA bundle for the brokers' certificates (else the system store + NODE_EXTRA_CA_CERTS). */
    KAFKA_SSL_CA_FILE: readableFile.optional(),
    /** PEM client certificate and key, for brokers that authenticate clients by mTLS. */
    KAFKA_SSL_CERT_FILE: readableFile.optional(),
    KAFKA_SSL_KEY_FILE: readableFile.optional(),
  })
  .superRefine((env, ctx) => {
    const sasl = [env.KAFKA_SASL_USERNAME, env.KAFKA_SASL_PASSWORD];
    if (env.KAFKA_SASL_MECHANISM !== undefined) {
      if (env.KAFKA_SASL_USERNAME === undefined)
        ctx.addIssue({ code: 'custom', path: ['KAFKA_SASL_USERNAME'], message: 'is required' });
      if (env.KAFKA_SASL_PASSWORD === undefined)
        ctx.addIssue({ code: 'custom', path: ['KAFKA_SASL_PASSWORD'], message: 'is required' });
    } else if (sasl.some((value) => value !== undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: ['KAFKA_SASL_MECHANISM'],
        message: 'is required when KAFKA_SASL_USERNAME or KAFKA_SASL_PASSWORD is set',
      });
    }
    if ((env.KAFKA_SSL_CERT_FILE === undefined) !== (env.KAFKA_SSL_KEY_FILE === undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: [
          env.KAFKA_SSL_CERT_FILE === undefined ? 'KAFKA_SSL_CERT_FILE' : 'KAFKA_SSL_KEY_FILE',
        ],
        message: 'is required: KAFKA_SSL_CERT_FILE and KAFKA_SSL_KEY_FILE go together',
      });
    }
    // Reported on the file variable: loadConfig shows an unset KAFKA_SSL as "is required".
    const files = ['KAFKA_SSL_CA_FILE', 'KAFKA_SSL_CERT_FILE', 'KAFKA_SSL_KEY_FILE'] as const;
    const firstFile = files.find((name) => env[name] !== undefined);
    if (!env.KAFKA_SSL && firstFile !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: [firstFile],
        message: 'needs KAFKA_SSL=true (certificates are only used over TLS)',
      });
    }
  });

export type KafkaModuleEnv = z.output<typeof kafkaModuleEnv>;

export function loadKafkaEnv(env: EnvSource, service: string): KafkaModuleEnv {
  return loadConfig(kafkaModuleEnv, env, service);
}

/** The connection (brokers, TLS, SASL) a validated environment describes. */
export function kafkaConnection(
  config: KafkaModuleEnv,
  clientId: string,
): Omit<KafkaConnectionOptions, 'logger'> {
  let ssl: boolean | ConnectionOptions = config.KAFKA_SSL;
  if (config.KAFKA_SSL && (config.KAFKA_SSL_CA_FILE || config.KAFKA_SSL_CERT_FILE)) {
    ssl = {
      ...(config.KAFKA_SSL_CA_FILE ? { ca: [readFileSync(config.KAFKA_SSL_CA_FILE, 'utf8')] } : {}),
      ...(config.KAFKA_SSL_CERT_FILE && config.KAFKA_SSL_KEY_FILE
        ? {
            cert: readFileSync(config.KAFKA_SSL_CERT_FILE, 'utf8'),
            key: readFileSync(config.KAFKA_SSL_KEY_FILE, 'utf8'),
          }
        : {}),
    };
  }
  return {
    brokers: config.KAFKA_BROKERS,
    clientId: config.KAFKA_CLIENT_ID ?? clientId,
    ssl,
    sasl:
      config.KAFKA_SASL_MECHANISM && config.KAFKA_SASL_USERNAME && config.KAFKA_SASL_PASSWORD
        ? {
            mechanism: config.KAFKA_SASL_MECHANISM,
            username: config.KAFKA_SASL_USERNAME,
            password: config.KAFKA_SASL_PASSWORD,
          }
        : undefined,
  };
}
