import { SeededRandom } from './random';
import { SimulatedRoom } from './simulated-room';

export interface SimulatedDevice {
  id: string;
  /** Registry tags the gateway seeds for the demo tenant (SEED_DEMO=true) under the same rule. */
  tags: { site: string; room: string; kind: string };
  room: SimulatedRoom;
}

const ROOMS_PER_SITE = 10;

/**
 * Device `i` (1-based) is `sim-<i, 3 digits>` in room `room-<((i-1) mod 10)+1, 2 digits>` of site
 * `site-<ceil(i/10)>`, kind `climate-node`. The gateway's demo seed uses the same rule so the
 * transformer can enrich the simulator's readings.
 */
export function simulatedDeviceIdentity(index: number): Pick<SimulatedDevice, 'id' | 'tags'> {
  return {
    id: `sim-${String(index).padStart(3, '0')}`,
    tags: {
      site: `site-${Math.ceil(index / ROOMS_PER_SITE)}`,
      room: `room-${String(((index - 1) % ROOMS_PER_SITE) + 1).padStart(2, '0')}`,
      kind: 'climate-node',
    },
  };
}

/** A reproducible fleet: the same seed gives the same rooms and the same noise. */
export function createFleet(
  count: number,
  seed: number,
  startMs: number,
  physicsSpeed = 1,
): SimulatedDevice[] {
  const profiles = new SeededRandom(seed);
  return Array.from({ length: count }, (_, i) => {
    const identity = simulatedDeviceIdentity(i + 1);
    const room = new SimulatedRoom(
      {
        // rooms from chilly storerooms to warm server closets, so both heaters and fans get work
        baseTemperatureC: profiles.between(17, 26),
        dailyAmplitudeC: profiles.between(1, 4),
        baseLoadW: profiles.between(80, 400),
        baseHumidityPct: profiles.between(35, 55),
      },
      new SeededRandom(seed * 7919 + i + 1),
      startMs,
      physicsSpeed,
    );
    return { ...identity, room };
  });
}
