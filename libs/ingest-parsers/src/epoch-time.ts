/**
 * Epoch-millisecond conversion shared by the parsers. Wire formats carry times in ns/us/ms/s with
 * up to 19 digits, more than a double holds exactly, so conversion works on the digits: the
 * sub-millisecond digits are dropped (truncation, i.e. floor for the non-negative times the
 * contract allows) instead of going through a lossy `Number(ns) / 1e6`.
 */

/** Last instant an int64 nanosecond clock (InfluxDB's) can represent: 2262-04-11T23:47:16.854Z. */
export const MAX_EPOCH_MS = 9_223_372_036_854;
const MAX_SUB_MS_NANOS = 775_806;

export type EpochUnit = 's' | 'ms' | 'us' | 'ns';

/** Power of ten that turns a value in `unit` into milliseconds. */
const MS_EXPONENT: Record<EpochUnit, number> = { s: 3, ms: 0, us: -3, ns: -6 };

/** Value of the ASCII digits `text[start, end)`; exact up to 2^53, approximate (but huge) beyond. */
export function digitsValue(text: string, start: number, end: number): number {
  let value = 0;
  for (let i = start; i < end; i++) value = value * 10 + (text.charCodeAt(i) - 48);
  return value;
}

/**
 * Epoch ms of the non-negative integer whose ASCII digits are `text[start, end)` in `unit`,
 * sub-millisecond digits truncated; `undefined` past {@link MAX_EPOCH_MS}.
 */
export function integerDigitsToEpochMs(
  text: string,
  start: number,
  end: number,
  unit: EpochUnit,
): number | undefined {
  const exponent = MS_EXPONENT[unit];
  if (exponent >= 0) {
    const ms = digitsValue(text, start, end) * 10 ** exponent;
    return ms <= MAX_EPOCH_MS ? ms : undefined;
  }
  const msEnd = Math.max(start, end + exponent);
  const ms = digitsValue(text, start, msEnd);
  if (ms < MAX_EPOCH_MS) return ms;
  // In the last millisecond the sub-ms digits decide (int64 ns ends at …854_775_806).
  const subMsNanos = digitsValue(text, msEnd, end) * 10 ** (6 + exponent);
  return ms === MAX_EPOCH_MS && subMsNanos <= MAX_SUB_MS_NANOS ? ms : undefined;
}

const DECIMAL = /^(\d+)(?:\.(\d*))?$|^\.(\d+)$/;

/**
 * Epoch ms of a non-negative decimal like `1700000000.25` in `unit` (sub-ms part truncated);
 * `undefined` when the text is not such a decimal or is past {@link MAX_EPOCH_MS}.
 */
export function decimalToEpochMs(text: string, unit: EpochUnit): number | undefined {
  const match = DECIMAL.exec(text);
  if (!match) return undefined;
  const integerPart = match[1] ?? '';
  const digits = integerPart + (match[2] ?? match[3] ?? '');
  // Shifting the decimal point by the unit's exponent, then keeping the integer digits.
  const pointAt = integerPart.length + MS_EXPONENT[unit];
  const msDigits = pointAt <= 0 ? '0' : digits.slice(0, pointAt).padEnd(pointAt, '0');
  const ms = digitsValue(msDigits, 0, msDigits.length);
  return ms <= MAX_EPOCH_MS ? ms : undefined;
}
