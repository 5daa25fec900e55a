import type { SimulatedRoom } from './simulated-room';

export interface ThermostatBands {
  /** Heater switches on below `heatOnBelowC` and off above `heatOffAboveC`. */
  heatOnBelowC: number;
  heatOffAboveC: number;
  /** Fan switches on above `coolOnAboveC` and off below `coolOffBelowC`. */
  coolOnAboveC: number;
  coolOffBelowC: number;
}

export const DEFAULT_THERMOSTAT_BANDS: ThermostatBands = {
  heatOnBelowC: 19,
  heatOffAboveC: 20.5,
  coolOnAboveC: 24,
  coolOffBelowC: 22.5,
};

/**
 * A local bang-bang controller with hysteresis, so the demo fleet shows actuators acting on their
 * rooms before the actuator-controller issue drives them through commands (then it is switched off
 * with SIM_LOCAL_THERMOSTAT=false).
 */
export function regulate(
  room: SimulatedRoom,
  bands: ThermostatBands = DEFAULT_THERMOSTAT_BANDS,
): void {
  const temperature = room.temperature;
  const { fan, heater } = room.actuators.snapshot();
  if (!heater && temperature < bands.heatOnBelowC) room.actuators.setHeater(true);
  else if (heater && temperature > bands.heatOffAboveC) room.actuators.setHeater(false);
  if (!fan && temperature > bands.coolOnAboveC) room.actuators.setFan(true);
  else if (fan && temperature < bands.coolOffBelowC) room.actuators.setFan(false);
}
