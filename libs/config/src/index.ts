export { ConfigError, type ConfigIssue } from './config.errors';
export { loadConfig, type EnvSource } from './load-config';
export {
  brokerList,
  databaseEnv,
  envBoolean,
  envInteger,
  envUrl,
  httpEnv,
  kafkaEnv,
  logEnv,
  redisEnv,
  shutdownEnv,
} from './env-fragments';
export { isSecretVariable, maskEnvValue, maskUrlPassword } from './secret-masking';
