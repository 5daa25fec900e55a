import type { CleanReading, DeviceView, LatestReading } from '../api/gateway-types';

const SPARKLINE_POINTS = 60;

export interface DeviceLiveState {
  latest: Map<string, LatestReading>;
  /** The sparkline's metric: the first metric the device reported. */
  sparkMetric: string | undefined;
  sparkTimes: number[];
  sparkValues: number[];
  lastSeenAt: number | null;
  /** Bumped on each change, so a row re-renders only when its own device changed. */
  version: number;
}

type Schedule = (flush: () => void) => void;

/**
 * Latest values of every device of the fleet. Live frames are applied to the data at once but
 * listeners hear about them at most once per animation frame: with 1,000 devices reporting every
 * second, React renders ~60 times a second at most instead of 1,000.
 */
export class FleetStore {
  devices: DeviceView[] = [];
  private readonly states = new Map<string, DeviceLiveState>();
  private readonly listeners = new Set<() => void>();
  private flushScheduled = false;
  private versionCounter = 0;

  constructor(
    private readonly schedule: Schedule = (flush) => requestAnimationFrame(() => flush()),
  ) {}

  get version(): number {
    return this.versionCounter;
  }

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  getVersion = (): number => this.versionCounter;

  setDevices(devices: DeviceView[]): void {
    this.devices = devices;
    for (const device of devices) {
      const state = this.stateOf(device.id);
      state.lastSeenAt = Math.max(state.lastSeenAt ?? 0, device.lastSeenAt ?? 0) || null;
    }
    this.changed();
  }

  state(device: string): DeviceLiveState | undefined {
    return this.states.get(device);
  }

  /** Seed a device from GET /devices/:id/latest (older values never overwrite newer live ones). */
  applyLatest(device: string, readings: LatestReading[]): void {
    this.apply(device, readings);
  }

  applyLive(device: string, readings: CleanReading[]): void {
    this.apply(device, readings);
  }

  private apply(device: string, readings: ReadonlyArray<LatestReading>): void {
    if (readings.length === 0) return;
    const state = this.stateOf(device);
    for (const reading of readings) {
      const current = state.latest.get(reading.metric);
      if (current === undefined || current.time <= reading.time) {
        state.latest.set(reading.metric, {
          metric: reading.metric,
          time: reading.time,
          value: reading.value,
        });
      }
      state.sparkMetric ??= reading.metric;
      if (reading.metric === state.sparkMetric) {
        const lastTime = state.sparkTimes[state.sparkTimes.length - 1] ?? -Infinity;
        if (reading.time > lastTime) {
          state.sparkTimes.push(reading.time);
          state.sparkValues.push(reading.value);
          if (state.sparkTimes.length > SPARKLINE_POINTS) {
            state.sparkTimes.shift();
            state.sparkValues.shift();
          }
        }
      }
      if (reading.time > (state.lastSeenAt ?? 0)) state.lastSeenAt = reading.time;
    }
    state.version += 1;
    this.changed();
  }

  private stateOf(device: string): DeviceLiveState {
    let state = this.states.get(device);
    if (state === undefined) {
      state = {
        latest: new Map(),
        sparkMetric: undefined,
        sparkTimes: [],
        sparkValues: [],
        lastSeenAt: null,
        version: 0,
      };
      this.states.set(device, state);
    }
    return state;
  }

  private changed(): void {
    this.versionCounter += 1;
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    this.schedule(() => {
      this.flushScheduled = false;
      for (const listener of this.listeners) listener();
    });
  }
}
