import type { IngestSource, RawReading, RawReadingBatch } from '@sluice/contracts';
import type { DeviceReadings } from './readings.publisher';
import type { ValidatedReading } from './readings-request.validator';

/** A request's readings per device (request order within a device), for `ReadingsPublisher`. */
export function groupByDevice(readings: readonly ValidatedReading[]): DeviceReadings[] {
  const byDevice = new Map<string, RawReading[]>();
  for (const { device, ...reading } of readings) {
    const list = byDevice.get(device);
    if (list) list.push(reading);
    else byDevice.set(device, [reading]);
  }
  return [...byDevice].map(([device, deviceReadings]) => ({ device, readings: deviceReadings }));
}

/**
 * Groups a request's readings into one `RawReadingBatch` per device: one Kafka record per device
 * keeps each device's readings ordered in one partition and pays per-record costs once per device.
 * Order within a device is the request's order.
 */
export function buildRawBatches(
  tenant: string,
  readings: readonly ValidatedReading[],
  receivedAt: number,
  source: IngestSource,
): RawReadingBatch[] {
  const byDevice = new Map<string, RawReading[]>();
  for (const { device, ...reading } of readings) {
    const list = byDevice.get(device);
    if (list) list.push(reading);
    else byDevice.set(device, [reading]);
  }
  return [...byDevice].map(([device, deviceReadings]) => ({
    tenant,
    device,
    source,
    receivedAt,
    readings: deviceReadings,
  }));
}
