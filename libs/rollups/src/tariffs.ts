import { DateTime } from 'luxon';

/** One price for every hour. */
export interface FlatTariff {
  kind: 'flat';
  currency: string;
  pricePerKwh: number;
}

/**
 * A price per period of the local day (whole hours, `fromHour` inclusive, `toHour` exclusive,
 * wrapping past midnight when `toHour <= fromHour`), optionally only on some ISO weekdays
 * (1 = Monday … 7 = Sunday); hours no period covers cost `defaultPricePerKwh`. Whole hours keep
 * the price constant inside an hourly rollup bucket, so cost = energy × price per bucket.
 */
export interface TimeOfUseTariff {
  kind: 'time-of-use';
  currency: string;
  zone: string;
  defaultPricePerKwh: number;
  periods: ReadonlyArray<{
    fromHour: number;
    toHour: number;
    pricePerKwh: number;
    weekdays?: ReadonlyArray<number>;
  }>;
}

export type Tariff = FlatTariff | TimeOfUseTariff;

/** A tariff that cannot be applied; names the field and the rule. */
export class TariffError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TariffError';
  }
}

export function validateTariff(tariff: Tariff): Tariff {
  if (tariff.kind === 'flat') {
    if (!(tariff.pricePerKwh >= 0)) throw new TariffError('pricePerKwh must be >= 0');
    return tariff;
  }
  if (!(tariff.defaultPricePerKwh >= 0)) {
    throw new TariffError('defaultPricePerKwh must be >= 0');
  }
  tariff.periods.forEach((period, index) => {
    for (const field of ['fromHour', 'toHour'] as const) {
      const hour = period[field];
      if (!Number.isInteger(hour) || hour < 0 || hour > 24) {
        throw new TariffError(
          `periods[${index}].${field} must be a whole hour 0..24 (got ${hour})`,
        );
      }
    }
    if (!(period.pricePerKwh >= 0)) {
      throw new TariffError(`periods[${index}].pricePerKwh must be >= 0`);
    }
  });
  return tariff;
}

/** Price per kWh in force at the instant `ms`. */
export function priceAt(tariff: Tariff, ms: number): number {
  if (tariff.kind === 'flat') return tariff.pricePerKwh;
  const local = DateTime.fromMillis(ms, { zone: tariff.zone });
  for (const period of tariff.periods) {
    if (period.weekdays && !period.weekdays.includes(local.weekday)) continue;
    const { fromHour, toHour } = period;
    const inside =
      fromHour < toHour
        ? local.hour >= fromHour && local.hour < toHour
        : local.hour >= fromHour || local.hour < toHour;
    if (inside) return period.pricePerKwh;
  }
  return tariff.defaultPricePerKwh;
}

/** Cost of energy consumed inside one hourly bucket starting at `hourStartMs`. */
export function hourlyCost(wattHours: number, tariff: Tariff, hourStartMs: number): number {
  return (wattHours / 1000) * priceAt(tariff, hourStartMs);
}
