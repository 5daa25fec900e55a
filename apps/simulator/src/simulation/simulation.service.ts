import {
  Inject,
  Injectable,
  Logger,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { HealthService } from '@sluice/health';
import { parseActuatorId } from '../actuator-agent/actuator-agent';
import type { ActuatorState } from '../fleet/actuator-state';
import { createFleet, type SimulatedDevice } from '../fleet/fleet';
import { regulate } from '../fleet/thermostat';
import { ReadingsPublisher, type OutgoingReading } from '../publishing/readings.publisher';
import {
  localThermostatEnabled,
  SIMULATOR_CONFIG,
  type SimulatorConfig,
} from '../simulator.config';
import {
  actuatorsOn,
  publishDuration,
  publishRetries,
  readingsAccepted,
  readingsBuffered,
  readingsDropped,
  readingsGenerated,
  readingsRejected,
} from './simulation.metrics';

/** Readiness fails when readings are waiting and nothing got through for this long. */
const STALLED_AFTER_MS = 30_000;
/** How long start-up waits for the actuators' last states before starting with everything off. */
const RESTORE_TIMEOUT_MS = 3_000;

/** Runs the fleet: every SIM_INTERVAL_MS advances the physics, samples, and queues the readings. */
@Injectable()
export class SimulationService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(SimulationService.name);
  private readonly fleet: SimulatedDevice[];
  private readonly publisher: ReadingsPublisher;
  private timer: NodeJS.Timeout | undefined;
  private lastAcceptedAt = Date.now();
  private readonly localThermostat: boolean;

  constructor(
    @Inject(SIMULATOR_CONFIG) private readonly config: SimulatorConfig,
    health: HealthService,
  ) {
    this.fleet = createFleet(
      config.SIM_DEVICES,
      config.SIM_SEED,
      Date.now(),
      config.SIM_PHYSICS_SPEED,
    );
    this.localThermostat = localThermostatEnabled(config);
    this.publisher = new ReadingsPublisher({
      gatewayUrl: config.GATEWAY_URL,
      apiKey: config.SIM_API_KEY,
      maxBatch: config.SIM_MAX_BATCH,
      maxBuffered: config.SIM_MAX_BUFFERED,
      requestTimeoutMs: config.SIM_REQUEST_TIMEOUT_MS,
      initialBackoffMs: 250,
      maxBackoffMs: 10_000,
      observer: {
        accepted: (count, seconds) => {
          this.lastAcceptedAt = Date.now();
          readingsAccepted.inc(count);
          publishDuration.observe(seconds);
        },
        retrying: (reason, delayMs) => {
          publishRetries.inc({ reason: reason.startsWith('network') ? 'network' : reason });
          this.logger.warn({ msg: 'gateway unavailable, retrying', reason, delayMs });
        },
        rejected: (count, status, body) => {
          readingsRejected.inc({ status: String(status) }, count);
          this.logger.error({
            msg: 'gateway refused readings',
            status,
            count,
            response: body.slice(0, 2000),
          });
        },
        dropped: (count) => {
          readingsDropped.inc(count);
          this.logger.warn({ msg: 'readings dropped (buffer full or shutting down)', count });
        },
      },
    });
    health.register('gateway', async () => {
      const stalledMs = Date.now() - this.lastAcceptedAt;
      if (this.publisher.buffered > 0 && stalledMs > STALLED_AFTER_MS) {
        throw new Error(
          `${this.publisher.buffered} readings waiting; nothing accepted for ${stalledMs} ms`,
        );
      }
    });
  }

  /** The actuators of a simulated device: what the actuator agent's commands drive. */
  actuatorsOf(deviceId: string): ActuatorState | undefined {
    return this.fleet.find((device) => device.id === deviceId)?.room.actuators;
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.restoreActuators();
    this.publisher.start();
    this.timer = setInterval(() => this.tick(Date.now()), this.config.SIM_INTERVAL_MS);
    this.logger.log({
      msg: 'simulating',
      devices: this.fleet.length,
      intervalMs: this.config.SIM_INTERVAL_MS,
      gateway: this.config.GATEWAY_URL,
    });
  }

  /**
   * Real fans and heaters keep their state when whatever drives them restarts. The simulated ones
   * start from the state the controller last recorded for them (`GET /api/v1/actuators`): a
   * program issues commands only when its decision changes, so a heater that silently went off
   * with a simulator restart would stay off while the program believes it on. Without the
   * gateway, everything starts off (and says so).
   */
  private async restoreActuators(): Promise<void> {
    try {
      const response = await fetch(`${this.config.GATEWAY_URL}/api/v1/actuators`, {
        headers: { authorization: `Bearer ${this.config.SIM_API_KEY}` },
        signal: AbortSignal.timeout(RESTORE_TIMEOUT_MS),
      });
      if (!response.ok) throw new Error(`GET /api/v1/actuators answered ${response.status}`);
      const { actuators } = (await response.json()) as {
        actuators: Array<{ id: string; state: { state?: unknown } }>;
      };
      let switchedOn = 0;
      for (const actuator of actuators) {
        const target = parseActuatorId(actuator.id);
        const room = target && this.actuatorsOf(target.device);
        if (!room || actuator.state.state !== 'on') continue;
        if (target.kind === 'fan') room.setFan(true);
        else if (target.kind === 'heater') room.setHeater(true);
        else continue;
        switchedOn += 1;
      }
      this.logger.log({ msg: 'actuator states restored from the controller', switchedOn });
    } catch (error) {
      this.logger.warn({
        msg: 'could not restore actuator states; every fan and heater starts off',
        reason: error instanceof Error ? error.message : String(error),
      });
    }
  }

  async beforeApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.publisher.stop();
  }

  private tick(now: number): void {
    const readings: OutgoingReading[] = [];
    let fans = 0;
    let heaters = 0;
    for (const device of this.fleet) {
      device.room.advanceTo(now);
      if (this.localThermostat) regulate(device.room);
      const { fan, heater } = device.room.actuators.snapshot();
      fans += fan ? 1 : 0;
      heaters += heater ? 1 : 0;
      for (const sample of device.room.sample())
        readings.push({ device: device.id, time: now, ...sample });
    }
    readingsGenerated.inc(readings.length);
    actuatorsOn.set({ actuator: 'fan' }, fans);
    actuatorsOn.set({ actuator: 'heater' }, heaters);
    this.publisher.enqueue(readings);
    readingsBuffered.set(this.publisher.buffered);
  }
}
