import { UnknownPrecisionError } from './line-protocol.errors';

/** Timestamp units of line protocol, as the v2 API names them. */
export type Precision = 'ns' | 'us' | 'ms' | 's' | 'm' | 'h';

const PRECISIONS: Record<string, Precision> = {
  ns: 'ns',
  n: 'ns',
  us: 'us',
  u: 'us',
  ms: 'ms',
  s: 's',
  m: 'm',
  h: 'h',
};

/**
 * Reads the `precision` query parameter of `/write` (v1: n, u, ms, s, m, h) or `/api/v2/write`
 * (ns, us, ms, s); absent means nanoseconds, as in InfluxDB.
 */
export function parsePrecision(value: string | undefined): Precision {
  if (value === undefined || value === '') return 'ns';
  const precision = PRECISIONS[value];
  if (precision === undefined) throw new UnknownPrecisionError(value);
  return precision;
}

/** How the parser maps line protocol to readings; fixed per gateway configuration. */
export interface LineProtocolMappingOptions {
  /**
   * Tag keys naming the device, tried in order; the first present wins and is removed from the
   * reading tags. Default `['device', 'host']` (Telegraf sets `host` on every metric).
   */
  deviceTagKeys?: readonly string[];
  /** Device for points carrying none of `deviceTagKeys`; without it such points are refused. */
  defaultDevice?: string;
  /**
   * Field key whose metric is the bare measurement name (`temperature value=21` → `temperature`),
   * the convention of single-value agents; `false` always uses `<measurement>.<field>`.
   * Default `'value'`.
   */
  valueFieldKey?: string | false;
  /**
   * String fields: `'tag'` (default) keeps them as tags on the point's readings, `'reject'`
   * refuses the point, `'ignore'` drops the field and keeps the numeric ones.
   */
  stringFields?: 'tag' | 'reject' | 'ignore';
}

/** Limits that protect the gateway from one oversized body. */
export interface LineProtocolLimits {
  /** Largest body in bytes (after gzip decoding). Default 32 MiB. */
  maxBytes?: number;
  /** Most points (non-blank, non-comment lines) in one body. Default 1,000,000. */
  maxLines?: number;
  /** Errors kept with their message; further failed lines are only counted. Default 100. */
  maxErrors?: number;
}

export type LineProtocolParserOptions = LineProtocolMappingOptions & LineProtocolLimits;

/** Per request: how to read timestamps. */
export interface LineProtocolRequestOptions {
  /** Default `'ns'`; use {@link parsePrecision} for query parameters. */
  precision?: Precision;
  /**
   * Epoch ms for points without a timestamp (InfluxDB uses the time it received the body);
   * truncated to the precision like InfluxDB does. Default `Date.now()` when parsing starts.
   */
  defaultTime?: number;
}

export const DEFAULT_LIMITS: Required<LineProtocolLimits> = {
  maxBytes: 32 * 1024 * 1024,
  maxLines: 1_000_000,
  maxErrors: 100,
};
