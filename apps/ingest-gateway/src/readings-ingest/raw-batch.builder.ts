import type { RawReading } from '@sluice/contracts';
import type { DeviceReadings } from './readings.publisher';

/** A device's readings in request order, and where its first reading is (for error paths). */
export interface DeviceBatch extends DeviceReadings {
  /** Index in the request's `readings` of the device's first reading. */
  firstIndex: number;
}

/**
 * A request's readings per device as they are validated, for `ReadingsPublisher`, which sends one
 * record per device: each device's readings stay ordered in one partition and per-record costs are
 * paid once per device. Built while validating, so no list of all readings is made and copied.
 */
export class DeviceBatches {
  private readonly byDevice = new Map<string, DeviceBatch>();
  private lastBatch: DeviceBatch | undefined;

  /** Adds the reading at `index` of the request (indexes must grow). */
  add(device: string, reading: RawReading, index: number): void {
    // consecutive readings of one device skip the map lookup
    let batch = this.lastBatch;
    if (batch === undefined || batch.device !== device) {
      batch = this.byDevice.get(device);
      if (batch === undefined) {
        batch = { device, readings: [], firstIndex: index };
        this.byDevice.set(device, batch);
      }
      this.lastBatch = batch;
    }
    batch.readings.push(reading);
  }

  list(): DeviceBatch[] {
    return [...this.byDevice.values()];
  }
}
