import { checkDeviceId, checkMetricName, checkTags } from '../identifier-validation';
import type { LineProtocolMappingOptions } from './line-protocol.options';
import { unescapeIdentifier } from './line-protocol.unescape';

const COMMA = 44;
const EQUALS = 61;
const BACKSLASH = 92;
const SPACE = 32;

/** A metric name resolved from a field key, or why the field cannot become one. */
export type MetricResolution = string | { error: string };

/**
 * What the key of a line (`measurement,tag=value,...`) maps to. Parsed once per distinct key and
 * cached: series repeat on nearly every line of a real body, so the per-line cost is one lookup.
 */
export interface SeriesMapping {
  error?: string;
  device: string;
  measurement: string;
  /** Reading tags (device tag removed); shared by every reading of the series, hence frozen. */
  tags: Readonly<Record<string, string>> | undefined;
  /** Field key as written (still escaped) → metric name; filled lazily per series. */
  metrics: RawTextTable<MetricResolution>;
}

/**
 * A map keyed by a range of the body text plus a hash the scanner computed while passing over it,
 * so a lookup needs no substring and no re-hashing: the hot path of every line does two of these.
 * Bounded: restarted when full, which only costs re-parsing keys.
 */
export class RawTextTable<T> {
  private readonly buckets = new Map<number, { raw: string; value: T }[]>();
  private size = 0;

  constructor(private readonly capacity: number) {}

  get(text: string, start: number, end: number, hash: number): T | undefined {
    const bucket = this.buckets.get(hash);
    if (bucket === undefined) return undefined;
    for (const entry of bucket) {
      if (entry.raw.length === end - start && text.startsWith(entry.raw, start)) return entry.value;
    }
    return undefined;
  }

  set(text: string, start: number, end: number, hash: number, value: T): void {
    if (this.size >= this.capacity) {
      this.buckets.clear();
      this.size = 0;
    }
    const entry = { raw: text.slice(start, end), value };
    const bucket = this.buckets.get(hash);
    if (bucket === undefined) this.buckets.set(hash, [entry]);
    else bucket.push(entry);
    this.size++;
  }
}

/** Hash of one more character, as the scanner folds it over a key. */
export function hashStep(hash: number, charCode: number): number {
  return (Math.imul(hash, 31) + charCode) | 0;
}

// Bounds memory against bodies of unique series or field keys.
const MAX_CACHED_SERIES = 10_000;
const MAX_CACHED_FIELDS_PER_SERIES = 1_000;

function refused(error: string): SeriesMapping {
  return { error, device: '', measurement: '', tags: undefined, metrics: new RawTextTable(0) };
}

/** Maps line keys and field keys to devices, tags and metric names, by the documented rules. */
export class SeriesMapper {
  private readonly series = new RawTextTable<SeriesMapping>(MAX_CACHED_SERIES);
  private readonly deviceTagKeys: readonly string[];
  private readonly defaultDevice: string | undefined;
  private readonly valueFieldKey: string | false;

  constructor(options: LineProtocolMappingOptions) {
    this.deviceTagKeys = options.deviceTagKeys ?? ['device', 'host'];
    this.defaultDevice = options.defaultDevice;
    this.valueFieldKey = options.valueFieldKey ?? 'value';
  }

  /**
   * Mapping of the key `text[start, end)` (hashed with {@link hashStep}), which ends at the
   * unescaped space before the fields. Keys of lines without fields always fail and are not cached.
   */
  resolveSeries(
    text: string,
    start: number,
    end: number,
    hash: number,
    hasFields: boolean,
  ): SeriesMapping {
    if (!hasFields) return this.parseSeries(text, start, end, false);
    let mapping = this.series.get(text, start, end, hash);
    if (mapping === undefined) {
      mapping = this.parseSeries(text, start, end, true);
      this.series.set(text, start, end, hash, mapping);
    }
    return mapping;
  }

  /** Metric for the field key `text[start, end)` (as written, escaped) of a series. */
  resolveMetric(
    series: SeriesMapping,
    text: string,
    start: number,
    end: number,
    hash: number,
  ): MetricResolution {
    let resolution = series.metrics.get(text, start, end, hash);
    if (resolution === undefined) {
      const field = unescapeIdentifier(text, start, end, true);
      const metric =
        field === this.valueFieldKey ? series.measurement : `${series.measurement}.${field}`;
      const problem = checkMetricName(metric);
      resolution =
        problem === undefined
          ? metric
          : {
              error: `invalid metric name ${JSON.stringify(metric)} (measurement ${JSON.stringify(series.measurement)}, field ${JSON.stringify(field)}): ${problem}`,
            };
      series.metrics.set(text, start, end, hash, resolution);
    }
    return resolution;
  }

  // Error texts follow InfluxDB's own (models/points.go) so Influx users recognise them.
  private parseSeries(text: string, start: number, end: number, hasFields: boolean): SeriesMapping {
    if (text.charCodeAt(start) === COMMA) return refused('missing measurement');
    let i = start;
    while (i < end && text.charCodeAt(i) !== COMMA) {
      i += escapedPairAt(text, i, end) ? 2 : 1;
    }
    const measurement = unescapeIdentifier(text, start, i, false);
    const tags: Record<string, string> = {};
    let tagCount = 0;
    while (i < end) {
      i++; // the comma before a tag
      const keyStart = i;
      const first = text.charCodeAt(i);
      if (i >= end || first === COMMA || first === EQUALS) return refused('missing tag key');
      while (i < end) {
        const c = text.charCodeAt(i);
        if (c === EQUALS || c === COMMA) break;
        i += escapedPairAt(text, i, end) ? 2 : 1;
      }
      if (i >= end || text.charCodeAt(i) !== EQUALS) return refused('missing tag value');
      const keyEnd = i++;
      const valueStart = i;
      if (i >= end || text.charCodeAt(i) === COMMA) return refused('missing tag value');
      while (i < end) {
        const c = text.charCodeAt(i);
        if (c === COMMA) break;
        if (c === EQUALS) return refused('invalid tag format');
        i += escapedPairAt(text, i, end) ? 2 : 1;
      }
      const key = unescapeIdentifier(text, keyStart, keyEnd, true);
      if (Object.prototype.hasOwnProperty.call(tags, key)) return refused('duplicate tags');
      tags[key] = unescapeIdentifier(text, valueStart, i, true);
      tagCount++;
    }
    if (!hasFields) return refused('missing fields');
    return this.mapSeries(measurement, tags, tagCount);
  }

  private mapSeries(
    measurement: string,
    tags: Record<string, string>,
    tagCount: number,
  ): SeriesMapping {
    let device = this.defaultDevice;
    let deviceTag: string | undefined;
    for (const key of this.deviceTagKeys) {
      if (Object.prototype.hasOwnProperty.call(tags, key)) {
        device = tags[key];
        deviceTag = key;
        break;
      }
    }
    if (device === undefined) {
      const expected = this.deviceTagKeys.map((key) => JSON.stringify(key)).join(', ');
      return refused(`missing device tag (expected one of ${expected})`);
    }
    const deviceProblem = checkDeviceId(device);
    if (deviceProblem !== undefined) {
      const origin =
        deviceTag === undefined ? 'default device' : `tag ${JSON.stringify(deviceTag)}`;
      return refused(
        `invalid device id ${JSON.stringify(device)} from ${origin}: ${deviceProblem}`,
      );
    }
    if (deviceTag !== undefined) {
      delete tags[deviceTag];
      tagCount--;
    }
    const tagProblem = checkTags(tags);
    if (tagProblem !== undefined) return refused(`invalid tags: ${tagProblem}`);
    return {
      device,
      measurement,
      tags: tagCount === 0 ? undefined : Object.freeze(tags),
      metrics: new RawTextTable(MAX_CACHED_FIELDS_PER_SERIES),
    };
  }
}

/**
 * Whether `text[i]` is a backslash escaping the next character inside a key: InfluxDB's
 * documented escapes are `\,`, `\ `, `\=` and `\\`; any other backslash is a literal character.
 */
export function escapedPairAt(text: string, i: number, end: number): boolean {
  if (text.charCodeAt(i) !== BACKSLASH || i + 1 >= end) return false;
  const next = text.charCodeAt(i + 1);
  return next === COMMA || next === SPACE || next === EQUALS || next === BACKSLASH;
}
