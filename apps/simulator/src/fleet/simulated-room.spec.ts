import { SeededRandom } from './random';
import { ROOM_PHYSICS, SimulatedRoom, type RoomProfile } from './simulated-room';

const MIDNIGHT = Date.parse('2026-03-01T00:00:00Z');
const HOUR = 3_600_000;
const profile: RoomProfile = {
  baseTemperatureC: 22,
  dailyAmplitudeC: 3,
  baseLoadW: 200,
  baseHumidityPct: 45,
};

function room(seed = 1, start = MIDNIGHT): SimulatedRoom {
  return new SimulatedRoom(profile, new SeededRandom(seed), start);
}

function valueOf(target: SimulatedRoom, metric: string): number {
  const sample = target.sample().find((s) => s.metric === metric);
  if (!sample) throw new Error(`no ${metric} sample`);
  return sample.value;
}

function mean(values: number[]): number {
  return values.reduce((sum, v) => sum + v, 0) / values.length;
}

describe('simulated room', () => {
  it('follows a daily cycle: warmer in the afternoon than at night', () => {
    const r = room();
    r.advanceTo(MIDNIGHT + 27 * HOUR); // 03:00 next day, after the start transient
    const night = r.temperature;
    r.advanceTo(MIDNIGHT + 39 * HOUR); // 15:00
    const afternoon = r.temperature;
    expect(afternoon - night).toBeGreaterThan(3);
  });

  it('cools towards the fan setpoint while the fan runs', () => {
    const r = room(2, MIDNIGHT + 15 * HOUR);
    const before = r.temperature;
    r.actuators.setFan(true);
    const trend: number[] = [];
    for (let minute = 1; minute <= 30; minute++) {
      r.advanceTo(MIDNIGHT + 15 * HOUR + minute * 60_000);
      trend.push(r.temperature);
    }
    expect(trend[0]).toBeLessThan(before);
    for (let i = 1; i < trend.length; i++) expect(trend[i]).toBeLessThan(trend[i - 1]);
    expect(trend[trend.length - 1]).toBeGreaterThan(ROOM_PHYSICS.fanSetpointC);
  });

  it('warms while the heater runs and drifts back once it is off', () => {
    const r = room(3);
    const start = r.temperature;
    r.actuators.setHeater(true);
    r.advanceTo(MIDNIGHT + 20 * 60_000);
    const heated = r.temperature;
    expect(heated - start).toBeGreaterThan(2);
    r.actuators.setHeater(false);
    r.advanceTo(MIDNIGHT + 40 * 60_000);
    expect(r.temperature).toBeLessThan(heated);
  });

  it('draws more power while actuators run', () => {
    const powerOver = (r: SimulatedRoom, from: number) =>
      mean(
        Array.from({ length: 60 }, (_, s) => {
          r.advanceTo(from + s * 1000);
          return valueOf(r, 'power');
        }),
      );
    const idle = room(4);
    const heated = room(4);
    heated.actuators.setHeater(true);
    heated.actuators.setFan(true);
    const difference = powerOver(heated, MIDNIGHT) - powerOver(idle, MIDNIGHT);
    const expected = ROOM_PHYSICS.heaterPowerW + ROOM_PHYSICS.fanPowerW;
    expect(difference).toBeGreaterThan(expected * 0.9);
    expect(difference).toBeLessThan(expected * 1.1);
  });

  it('reports humidity that falls as temperature rises', () => {
    const r = room(5);
    const temperatures: number[] = [];
    const humidities: number[] = [];
    for (let minute = 0; minute < 48 * 60; minute += 10) {
      r.advanceTo(MIDNIGHT + minute * 60_000);
      temperatures.push(valueOf(r, 'temperature'));
      humidities.push(valueOf(r, 'humidity'));
    }
    expect(correlation(temperatures, humidities)).toBeLessThan(-0.5);
  });

  it('keeps CPU load within 0-100 % with occasional bursts', () => {
    const r = room(6);
    const loads: number[] = [];
    for (let s = 0; s < 4 * 3600; s += 5) {
      r.advanceTo(MIDNIGHT + s * 1000);
      loads.push(valueOf(r, 'cpu_load'));
    }
    expect(Math.min(...loads)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...loads)).toBeLessThanOrEqual(100);
    expect(Math.max(...loads)).toBeGreaterThan(70);
    expect(mean(loads)).toBeLessThan(50);
  });

  it('reports actuator states as readings', () => {
    const r = room();
    r.actuators.setFan(true);
    expect(valueOf(r, 'fan_on')).toBe(1);
    expect(valueOf(r, 'heater_on')).toBe(0);
  });

  it('is reproducible for a seed', () => {
    const a = room(9);
    const b = room(9);
    a.advanceTo(MIDNIGHT + HOUR);
    b.advanceTo(MIDNIGHT + HOUR);
    expect(a.sample()).toEqual(b.sample());
  });
});

function correlation(xs: number[], ys: number[]): number {
  const mx = mean(xs);
  const my = mean(ys);
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < xs.length; i++) {
    sxy += (xs[i] - mx) * (ys[i] - my);
    sxx += (xs[i] - mx) ** 2;
    syy += (ys[i] - my) ** 2;
  }
  return sxy / Math.sqrt(sxx * syy);
}
