import { decimalToEpochMs, MAX_EPOCH_MS } from '../epoch-time';

/** How the time column is written: ISO-8601 text, or epoch numbers in a unit. */
export type CsvTimeFormat = 'iso8601' | 'epoch-s' | 'epoch-ms' | 'epoch-us' | 'epoch-ns';

// Date, optional time (T or space), optional fraction (any digits, "." or ","), optional zone.
const ISO_8601 =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?)?(Z|[+-]\d{2}(?::?\d{2})?)?$/i;

/**
 * Epoch ms of a time cell, or why it is not one. ISO-8601 without a zone is taken as UTC (a
 * server's local zone would make results depend on where Sluice runs); fractions below 1 ms are
 * truncated, like every Sluice time.
 */
export function parseCsvTime(text: string, format: CsvTimeFormat): number | { error: string } {
  if (text === '') return { error: 'missing time' };
  const ms =
    format === 'iso8601' ? parseIso8601(text) : decimalToEpochMs(text, EPOCH_UNITS[format]);
  if (ms === undefined || ms < 0 || ms > MAX_EPOCH_MS) {
    return { error: `${JSON.stringify(text)} is not a valid ${FORMAT_NAMES[format]} time` };
  }
  return ms;
}

const EPOCH_UNITS = {
  'epoch-s': 's',
  'epoch-ms': 'ms',
  'epoch-us': 'us',
  'epoch-ns': 'ns',
} as const;

const FORMAT_NAMES: Record<CsvTimeFormat, string> = {
  iso8601: 'ISO-8601',
  'epoch-s': 'epoch-seconds',
  'epoch-ms': 'epoch-milliseconds',
  'epoch-us': 'epoch-microseconds',
  'epoch-ns': 'epoch-nanoseconds',
};

function parseIso8601(text: string): number | undefined {
  const match = ISO_8601.exec(text);
  if (!match) return undefined;
  const [, year, month, day, hour = '0', minute = '0', second = '0', fraction = '', zone] = match;
  const y = Number(year);
  const mo = Number(month) - 1;
  const d = Number(day);
  const h = Number(hour);
  const mi = Number(minute);
  const s = Number(second);
  const utc = Date.UTC(y, mo, d, h, mi, s, Number(fraction.slice(0, 3).padEnd(3, '0')));
  // Date.UTC rolls over (Feb 30 → Mar 2); a round trip tells real dates from rolled ones.
  const check = new Date(utc);
  if (check.getUTCFullYear() !== y || check.getUTCMonth() !== mo || check.getUTCDate() !== d) {
    return undefined;
  }
  if (h > 23 || mi > 59 || s > 59) return undefined;
  return utc - zoneOffsetMs(zone);
}

function zoneOffsetMs(zone: string | undefined): number {
  if (zone === undefined || zone.toUpperCase() === 'Z') return 0;
  const sign = zone.startsWith('-') ? -1 : 1;
  const digits = zone.slice(1).replace(':', '');
  return sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2) || '0')) * 60_000;
}
