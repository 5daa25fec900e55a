import type { RawReading } from '@sluice/contracts';
import type { DeviceReadings } from './readings.publisher';
import type { ValidatedReading } from './readings-request.validator';

/**
 * A request's readings per device (request order within a device), for `ReadingsPublisher`, which
 * sends one record per device: each device's readings stay ordered in one partition and per-record
 * costs are paid once per device.
 */
export function groupByDevice(readings: readonly ValidatedReading[]): DeviceReadings[] {
  const byDevice = new Map<string, RawReading[]>();
  for (const { device, metric, time, value, unit, tags } of readings) {
    // built field by field: an object rest (`...reading`) copied each reading several times slower
    const reading: RawReading = { metric, time, value };
    if (unit !== undefined) reading.unit = unit;
    if (tags !== undefined) reading.tags = tags;
    const list = byDevice.get(device);
    if (list) list.push(reading);
    else byDevice.set(device, [reading]);
  }
  return [...byDevice].map(([device, deviceReadings]) => ({ device, readings: deviceReadings }));
}
