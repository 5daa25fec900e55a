export interface ActuatorSnapshot {
  fan: boolean;
  heater: boolean;
}

/**
 * The switchable actuators of one simulated room. The physics reads it on every step, so whoever
 * drives it (the built-in thermostat today, actuator commands from Kafka/MQTT later) changes what
 * the sensors report.
 */
export class ActuatorState {
  private fanOn = false;
  private heaterOn = false;

  setFan(on: boolean): void {
    this.fanOn = on;
  }

  setHeater(on: boolean): void {
    this.heaterOn = on;
  }

  snapshot(): ActuatorSnapshot {
    return { fan: this.fanOn, heater: this.heaterOn };
  }
}
