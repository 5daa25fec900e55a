import { ActuatorState } from './actuator-state';
import { SeededRandom } from './random';

/** What makes one room differ from the next. */
export interface RoomProfile {
  /** Mean of the daily temperature cycle the room drifts towards, °C. */
  baseTemperatureC: number;
  /** Half the day/night swing, °C (warmest at 15:00 UTC, coldest at 03:00 UTC). */
  dailyAmplitudeC: number;
  /** Typical electrical load of the room's equipment before load steps, W. */
  baseLoadW: number;
  /** Relative humidity at 21 °C, %. */
  baseHumidityPct: number;
}

/**
 * Physical constants of the model. First-order (Newtonian) heat exchange is crude but gives the
 * shapes an operator expects: exponential approach to the ambient cycle, a fan that pulls the room
 * towards its setpoint, a heater that adds a fixed heating rate.
 */
export const ROOM_PHYSICS = {
  /** How fast the room follows the ambient cycle (time constant, s). */
  envTimeConstantS: 1800,
  /** How fast a running fan pulls the room to its setpoint (time constant, s). */
  fanTimeConstantS: 600,
  fanSetpointC: 18,
  /** Temperature rise a running heater adds, °C per second (≈ 14 °C/h). */
  heaterRateCPerS: 0.004,
  fanPowerW: 45,
  heaterPowerW: 1200,
  /** Humidity falls this much per °C above 21 °C: warm air holds more water. */
  humidityPerDegreePct: -1.8,
  /** Mean time between load steps, s. */
  loadStepEveryS: 120,
  loadStepFactors: [0.6, 1, 1.4, 2] as const,
  cpuIdlePct: 20,
  cpuBurstPct: 85,
  /** Mean time between CPU bursts, s; a burst lasts 30-90 s. */
  cpuBurstEveryS: 300,
  /** Integration step: small enough to be stable for every time constant above. */
  maxStepS: 1,
} as const;

export interface SensorSample {
  metric: string;
  value: number;
  unit?: string;
}

const DAY_MS = 86_400_000;

/** One room: its thermal state, its loads, and the actuators that act on them. */
export class SimulatedRoom {
  readonly actuators = new ActuatorState();
  private temperatureC: number;
  private humidityDriftPct = 0;
  private loadW: number;
  private cpuPct: number = ROOM_PHYSICS.cpuIdlePct;
  private cpuBurstUntilMs = 0;
  private clockMs: number;

  constructor(
    private readonly profile: RoomProfile,
    private readonly random: SeededRandom,
    startMs: number,
    /** Thermal dynamics run this many times faster than the clock (demos and tests; 1 = real). */
    private readonly physicsSpeed = 1,
  ) {
    this.clockMs = startMs;
    this.temperatureC = this.ambientAt(startMs);
    this.loadW = profile.baseLoadW;
  }

  /** The temperature the room drifts to with no actuator running. */
  ambientAt(epochMs: number): number {
    const hourOfDay = ((epochMs % DAY_MS) / DAY_MS) * 24;
    return (
      this.profile.baseTemperatureC +
      this.profile.dailyAmplitudeC * Math.sin((2 * Math.PI * (hourOfDay - 9)) / 24)
    );
  }

  /** The true (noise-free) room temperature, for tests and the thermostat. */
  get temperature(): number {
    return this.temperatureC;
  }

  /** Advances the physics to `epochMs` (no-op for times in the past). */
  advanceTo(epochMs: number): void {
    while (this.clockMs < epochMs) {
      const stepS = Math.min(ROOM_PHYSICS.maxStepS, (epochMs - this.clockMs) / 1000);
      this.clockMs += stepS * 1000;
      this.step(stepS);
    }
  }

  /** Sensor readings at the current time, with measurement noise. */
  sample(): SensorSample[] {
    const { fan, heater } = this.actuators.snapshot();
    const humidity =
      this.profile.baseHumidityPct +
      ROOM_PHYSICS.humidityPerDegreePct * (this.temperatureC - 21) +
      this.humidityDriftPct +
      0.3 * this.random.gaussian();
    const power =
      this.loadW * (1 + 0.01 * this.random.gaussian()) +
      (fan ? ROOM_PHYSICS.fanPowerW : 0) +
      (heater ? ROOM_PHYSICS.heaterPowerW : 0);
    return [
      {
        metric: 'temperature',
        value: round(this.temperatureC + 0.05 * this.random.gaussian(), 2),
        unit: 'C',
      },
      { metric: 'humidity', value: round(clamp(humidity, 5, 95), 1), unit: '%' },
      { metric: 'power', value: round(Math.max(0, power), 1), unit: 'W' },
      { metric: 'cpu_load', value: round(clamp(this.cpuPct, 0, 100), 1), unit: '%' },
      { metric: 'fan_on', value: fan ? 1 : 0 },
      { metric: 'heater_on', value: heater ? 1 : 0 },
    ];
  }

  private step(seconds: number): void {
    const { fan, heater } = this.actuators.snapshot();
    let rate = (this.ambientAt(this.clockMs) - this.temperatureC) / ROOM_PHYSICS.envTimeConstantS;
    if (fan)
      rate += (ROOM_PHYSICS.fanSetpointC - this.temperatureC) / ROOM_PHYSICS.fanTimeConstantS;
    if (heater) rate += ROOM_PHYSICS.heaterRateCPerS;
    this.temperatureC += rate * seconds * this.physicsSpeed;

    this.humidityDriftPct = clamp(
      this.humidityDriftPct + 0.05 * Math.sqrt(seconds) * this.random.gaussian(),
      -5,
      5,
    );

    if (this.random.chance(1 / ROOM_PHYSICS.loadStepEveryS, seconds)) {
      this.loadW = this.profile.baseLoadW * this.random.pick(ROOM_PHYSICS.loadStepFactors);
    }

    if (
      this.clockMs >= this.cpuBurstUntilMs &&
      this.random.chance(1 / ROOM_PHYSICS.cpuBurstEveryS, seconds)
    ) {
      this.cpuBurstUntilMs = this.clockMs + this.random.between(30_000, 90_000);
    }
    const cpuTarget =
      this.clockMs < this.cpuBurstUntilMs ? ROOM_PHYSICS.cpuBurstPct : ROOM_PHYSICS.cpuIdlePct;
    // Ornstein-Uhlenbeck: pulled to the target within ~10 s, with jitter
    this.cpuPct +=
      (cpuTarget - this.cpuPct) * Math.min(1, seconds / 10) +
      2 * Math.sqrt(seconds) * this.random.gaussian();
    this.cpuPct = clamp(this.cpuPct, 0, 100);
  }
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value));
}

function round(value: number, digits: number): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}
