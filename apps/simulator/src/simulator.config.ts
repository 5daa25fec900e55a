import { z } from 'zod';
import { envBoolean, envInteger, envUrl, httpEnv, logEnv, shutdownEnv } from '@sluice/config';

export const simulatorEnvSchema = z.object({
  ...httpEnv(8085),
  ...logEnv,
  ...shutdownEnv,
  /** Where readings are posted (POST <GATEWAY_URL>/api/v1/readings). */
  GATEWAY_URL: envUrl(['http', 'https'], 'http://127.0.0.1:8080'),
  SIM_API_KEY: z.string().min(1).default('sluice-demo-key'),
  SIM_DEVICES: envInteger({ min: 1, max: 100_000, default: 20 }),
  SIM_INTERVAL_MS: envInteger({ min: 10, default: 1000 }),
  /** Same seed, same rooms and noise: reproducible demos. */
  SIM_SEED: envInteger({ min: 0, default: 1 }),
  /**
   * Built-in thermostat drives fans/heaters. Default: on only when the actuator agent is off
   * (with the agent, programs in the actuator-controller drive them through commands).
   */
  SIM_LOCAL_THERMOSTAT: z.stringbool().optional(),
  /** Apply actuator.commands.v1 to the simulated fans/heaters (`<device>-fan`, `<device>-heater`) and ack them; needs KAFKA_BROKERS. */
  SIM_ACTUATOR_AGENT: envBoolean(true),
  /** Set by the pipeline launcher; the agent consumes and produces through it. */
  KAFKA_BROKERS: z.string().optional(),
  /** Thermal dynamics this many times faster than real time (demos and tests). */
  SIM_PHYSICS_SPEED: z.coerce.number().min(0.01).max(10_000).default(1),
  SIM_MAX_BATCH: envInteger({ min: 1, default: 5000 }),
  /** Readings held while the gateway is unavailable; beyond it the oldest are dropped (counted). */
  SIM_MAX_BUFFERED: envInteger({ min: 1, default: 200_000 }),
  SIM_REQUEST_TIMEOUT_MS: envInteger({ min: 100, default: 10_000 }),
});

export type SimulatorConfig = z.output<typeof simulatorEnvSchema>;

/** The agent runs when enabled and a Kafka broker is configured. */
export function agentEnabled(config: SimulatorConfig): boolean {
  return config.SIM_ACTUATOR_AGENT && Boolean(config.KAFKA_BROKERS);
}

/** The local thermostat: as configured, else only when no agent applies commands. */
export function localThermostatEnabled(config: SimulatorConfig): boolean {
  return config.SIM_LOCAL_THERMOSTAT ?? !agentEnabled(config);
}

export const SIMULATOR_CONFIG = Symbol('SIMULATOR_CONFIG');
