import { createFleet, simulatedDeviceIdentity } from './fleet';
import { DEFAULT_THERMOSTAT_BANDS, regulate } from './thermostat';

const START = Date.parse('2026-03-01T00:00:00Z');

describe('simulated fleet', () => {
  it('names devices and tags them by site and room', () => {
    expect(simulatedDeviceIdentity(1)).toEqual({
      id: 'sim-001',
      tags: { site: 'site-1', room: 'room-01', kind: 'climate-node' },
    });
    expect(simulatedDeviceIdentity(20).tags).toEqual({
      site: 'site-2',
      room: 'room-10',
      kind: 'climate-node',
    });
    expect(simulatedDeviceIdentity(21).tags.site).toBe('site-3');
  });

  it('creates distinct rooms, reproducibly', () => {
    const fleet = createFleet(5, 42, START);
    expect(fleet.map((d) => d.id)).toEqual(['sim-001', 'sim-002', 'sim-003', 'sim-004', 'sim-005']);
    const temperatures = new Set(fleet.map((d) => d.room.temperature.toFixed(3)));
    expect(temperatures.size).toBe(5);
    expect(createFleet(5, 42, START)[3].room.temperature).toBe(fleet[3].room.temperature);
  });
});

describe('thermostat', () => {
  it('holds every room between its heating and cooling bands', () => {
    const fleet = createFleet(8, 7, START);
    const violations: string[] = [];
    for (let s = 30; s <= 12 * 3600; s += 30) {
      for (const device of fleet) {
        device.room.advanceTo(START + s * 1000);
        regulate(device.room);
        const t = device.room.temperature;
        // after a one-hour settling time the room must stay within the bands (plus overshoot)
        if (
          s > 3600 &&
          (t < DEFAULT_THERMOSTAT_BANDS.heatOnBelowC - 0.5 ||
            t > DEFAULT_THERMOSTAT_BANDS.coolOnAboveC + 0.5)
        ) {
          violations.push(`${device.id} at ${s}s: ${t.toFixed(2)} °C`);
        }
      }
    }
    expect(violations.slice(0, 5)).toEqual([]);
  });
});
