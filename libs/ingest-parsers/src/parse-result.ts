import type { RawReading } from '@sluice/contracts';

/**
 * The readings one wire-format unit (a line-protocol line, a CSV row) produced. All readings of a
 * point belong to one device, which is what the gateway groups by to build `RawReadingBatch`es.
 */
export interface ParsedPoint {
  device: string;
  /** 1-based line (line protocol) or row (CSV, header = row 1) the point starts on. */
  line: number;
  readings: RawReading[];
}

/** Why one line or row was refused; the rest of the body is still accepted (partial write). */
export interface ParseError {
  /** 1-based line (line protocol) or row (CSV, header = row 1). */
  line: number;
  /** CSV column name the problem is in, when it is in one column. */
  column?: string;
  /** The rule that was broken, without position: `missing field value`, `"abc" is not a number`. */
  reason: string;
  /** The full, user-facing message with the position, e.g. InfluxDB's `unable to parse '…': …`. */
  message: string;
}
